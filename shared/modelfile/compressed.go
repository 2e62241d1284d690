package modelfile

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

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
	}
	return ""
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
	src := &ctxReader{ctx: a.ctx, r: io.NewSectionReader(r, 0, size)}
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
		dec, err = xz.NewReader(src)
	case "lzma":
		dec, err = lzma.NewReader(src)
	case "zlib":
		dec, err = zlib.NewReader(src)
	}
	if err != nil {
		a.problem("%s: %s: %v", full, method, err)
		return
	}
	capped := &capReader{r: dec, max: a.opts.MaxDecompressed, compressed: size, ratio: a.opts.MaxRatio}
	// A stream that is not a pickle is not one compressed either.
	a.scanPickleKind(capped, full+"!"+method, KindPickle)
}
