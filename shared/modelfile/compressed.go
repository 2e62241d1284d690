package modelfile

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// compression recognises the streams joblib.load (joblib/compressor.py)
// and pandas.read_pickle decompress before unpickling: zlib, gzip, bz2, xz
// and lzma ("alone" format). It returns "" for anything else.
func compression(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip"
	case len(head) >= 4 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9':
		return "bz2"
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return "xz"
	case len(head) >= 13 && head[0] == 0x5d && head[1] == 0 && head[2] == 0:
		return "lzma"
	case len(head) >= 2 && head[0] == 0x78 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0:
		return "zlib"
	case bytes.HasPrefix(head, []byte{0x04, 0x22, 0x4d, 0x18}):
		return "lz4" // joblib's lz4 (lz4.frame), when the lz4 package is installed
	case zfOffset(head) > 0:
		return "zf"
	}
	return ""
}

// zfOffset is where the zlib stream of a joblib < 0.10 "ZF" file starts
// (numpy_pickle_compat.read_zfile, which joblib.load still uses for a file
// beginning with "ZF"): after "ZF" and the data length in hex, padded to
// 19 characters, and an optional space; 0 if head is not one. The length
// field is not trusted: joblib checks it only against the inflated size,
// so the stream is analysed whatever it says (stricter, never looser).
func zfOffset(head []byte) int {
	const header = 2 + 19
	if !bytes.HasPrefix(head, []byte("ZF")) || len(head) < header+2 {
		return 0
	}
	off := header
	if head[off] == ' ' {
		off++
	}
	if len(head) >= off+2 && head[off] == 0x78 && (uint16(head[off])<<8|uint16(head[off+1]))%31 == 0 {
		return off
	}
	return 0
}

var errInflateCap = errors.New("decompressed size over the limit")

// capReader stops a decompressing stream past the absolute cap or the
// ratio to the compressed size.
type capReader struct {
	r          io.Reader
	n, max     int64
	compressed int64
	ratio      int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("%w: more than %d bytes", errInflateCap, c.max)
	}
	if c.n > 1<<20 && c.n/c.ratio > c.compressed {
		return n, fmt.Errorf("%w: more than %d times its %d compressed bytes", errInflateCap, c.ratio, c.compressed)
	}
	return n, err
}

// compressed analyses the stream inside a compressed file as the pickle
// joblib or pandas would unpickle (joblib's arrays included).
func (a *analyzer) compressed(r io.ReaderAt, size int64, full, method string) {
	var src io.Reader = &ctxReader{ctx: a.ctx, r: io.NewSectionReader(r, 0, size)}
	if method == "xz" || method == "lzma" {
		src = boundDictionary(r, size, src, method, a.maxOutput(size))
	}
	var dec io.Reader
	var err error
	switch method {
	case "gzip":
		var z *gzip.Reader
		if z, err = gzip.NewReader(src); err == nil {
			dec = z // concatenated members are read as one stream, as Python does
		}
	case "bz2":
		dec = bzip2.NewReader(src)
	case "xz":
		// DictCap at its minimum: the dictionary is the size the block
		// declares (after boundDictionary), not at least the library's
		// 8 MiB default.
		dec, err = xz.ReaderConfig{DictCap: lzma.MinDictCap}.NewReader(src)
	case "lzma":
		dec, err = lzma.NewReader(src)
	case "zlib":
		dec, err = zlib.NewReader(src)
	case "zf":
		head := make([]byte, min(size, 64))
		if _, err = r.ReadAt(head, 0); err == nil {
			off := int64(zfOffset(head))
			dec, err = zlib.NewReader(&ctxReader{ctx: a.ctx, r: io.NewSectionReader(r, off, size-off)})
		}
	case "lz4":
		dec = lz4.NewReader(src)
	}
	if err != nil {
		if method == "zlib" || method == "zf" {
			// Two bytes make a zlib "header" for 1 in 31 byte pairs after
			// 0x78 (raw float16 weights, random bytes). compress/zlib
			// refuses exactly the headers Python's zlib.decompressobj(15)
			// refuses (method not deflate, window over 32 KiB, a preset
			// dictionary), so joblib.load fails before inflating a byte:
			// nothing to report. (Not so for gzip: Python skips the header
			// CRC that Go checks, so a gzip header error stays a problem.)
			return
		}
		a.problem("%s: %s: %v", full, method, err)
		return
	}
	capped := &capReader{r: dec, max: a.opts.MaxDecompressed, compressed: size, ratio: a.opts.MaxRatio}
	// A stream that is not a pickle is not one compressed either.
	a.scanPickleKind(capped, full+"!"+method, KindPickle)
}

// maxOutput is the most a compressed stream of size bytes may inflate to
// before capReader stops it: past MaxDecompressed, or past MaxRatio times
// the compressed size once over 1 MiB.
func (a *analyzer) maxOutput(size int64) int64 {
	m := max(int64(1)<<20, a.opts.MaxRatio*(size+1))
	return min(m, a.opts.MaxDecompressed)
}

// boundDictionary lowers the dictionary size an xz or lzma stream declares
// to what the analysis can ever use. The decoders allocate (and clear) the
// declared dictionary up front: 8 MiB for Python's default preset, for a
// pickle of a few KB, which was most of the CPU time of the corpus
// (BenchmarkRealCorpus's profile). An LZMA match reaches back at most over
// the bytes already produced, so a dictionary as large as the output
// decodes the stream exactly as the declared one; capReader stops the
// stream once its output passes maxOut, so a dictionary of maxOut bytes is
// never short of one the stream needs while it is read. Only the header in
// front is rewritten (lzma-alone: its dictionary size; xz: the first
// block's LZMA2 dictionary property and the block header's CRC32); a
// header that does not parse is left as it is for the decoder to refuse.
func boundDictionary(r io.ReaderAt, size int64, src io.Reader, method string, maxOut int64) io.Reader {
	head := make([]byte, min(size, 12+1024))
	if _, err := r.ReadAt(head, 0); err != nil {
		return src
	}
	var patched bool
	switch method {
	case "lzma":
		// props(1) dictSize(4, little-endian) size(8)
		if len(head) >= 13 {
			if d := int64(binary.LittleEndian.Uint32(head[1:5])); d > maxOut {
				binary.LittleEndian.PutUint32(head[1:5], uint32(max(maxOut, lzma.MinDictCap)))
				patched = true
			}
		}
	case "xz":
		patched = boundXZBlock(head, maxOut)
	}
	if !patched {
		return src
	}
	return io.MultiReader(bytes.NewReader(head), io.LimitReader(skipN(src, int64(len(head))), size-int64(len(head))))
}

// boundXZBlock rewrites the LZMA2 dictionary property of the block header
// that follows the 12-byte xz stream header, if it declares more than
// maxOut, and the header's CRC32. Python's lzma writes one block per stream.
func boundXZBlock(head []byte, maxOut int64) bool {
	if len(head) < 13 || head[12] == 0 { // 0: the index, no block
		return false
	}
	hs := (int(head[12]) + 1) * 4
	if 12+hs > len(head) {
		return false
	}
	bh := head[12 : 12+hs]
	if crc32.ChecksumIEEE(bh[:hs-4]) != binary.LittleEndian.Uint32(bh[hs-4:]) {
		return false
	}
	flags := bh[1]
	pos := 2
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(bh[pos : hs-4])
		if n <= 0 {
			return 0, false
		}
		pos += n
		return v, true
	}
	if flags&0x40 != 0 { // compressed size present
		if _, ok := uvarint(); !ok {
			return false
		}
	}
	if flags&0x80 != 0 { // uncompressed size present
		if _, ok := uvarint(); !ok {
			return false
		}
	}
	nf := int(flags&3) + 1
	for i := 0; i < nf; i++ {
		id, ok := uvarint()
		if !ok {
			return false
		}
		psize, ok := uvarint()
		if !ok || psize > uint64(hs-4-pos) {
			return false
		}
		if id == 0x21 && psize == 1 && i == nf-1 { // LZMA2, the last filter
			p := bh[pos]
			if p > 40 {
				return false
			}
			want := byte(0)
			for want < p && lzma2Dict(want) < maxOut {
				want++
			}
			if want >= p {
				return false
			}
			bh[pos] = want
			binary.LittleEndian.PutUint32(bh[hs-4:], crc32.ChecksumIEEE(bh[:hs-4]))
			return true
		}
		pos += int(psize)
	}
	return false
}

// lzma2Dict is the dictionary size an LZMA2 property byte p (0-40) means.
func lzma2Dict(p byte) int64 {
	if p == 40 {
		return 1<<32 - 1
	}
	return int64(2|p&1) << (p/2 + 11)
}

// skipN discards the first n bytes of r.
func skipN(r io.Reader, n int64) io.Reader {
	return &skipReader{r: r, n: n}
}

type skipReader struct {
	r io.Reader
	n int64
}

func (s *skipReader) Read(p []byte) (int, error) {
	if s.n > 0 {
		if _, err := io.CopyN(io.Discard, s.r, s.n); err != nil {
			return 0, err
		}
		s.n = 0
	}
	return s.r.Read(p)
}
