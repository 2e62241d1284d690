package modelfile

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// looksLikeTar reports whether the first 512-byte block is a tar header
// Python's tarfile accepts (what torch.load tries first for a legacy
// checkpoint): not all zeros, with a checksum matching the unsigned or
// signed sum of the block.
func looksLikeTar(r io.ReaderAt, size int64) bool {
	if size < 512 {
		return false
	}
	b, err := readAtMost(r, 0, 512)
	if err != nil || len(b) < 512 || bytes.Count(b, []byte{0}) == 512 {
		return false
	}
	field := b[148:156]
	if i := bytes.IndexByte(field, 0); i >= 0 {
		field = field[:i]
	}
	s := strings.TrimSpace(string(field))
	if s == "" {
		s = "0"
	}
	want, err := strconv.ParseInt(s, 8, 64)
	if err != nil {
		return false
	}
	var unsigned, signed int64
	for i, c := range b {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}

// tar looks at every regular file of a tar: a legacy torch checkpoint keeps
// its pickles in the members "pickle", "storages" and "tensors".
func (a *analyzer) tar(r io.ReaderAt, size int64, full string, depth int) {
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			a.problem("%s: tar: %v", full, err)
			return
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		off, _ := sr.Seek(0, io.SeekCurrent)
		if h.Size < 0 || off+h.Size > size {
			a.problem("%s: tar member %s at %d+%d past end of file (%d)", full, h.Name, off, h.Size, size)
			return
		}
		section := io.NewSectionReader(r, off, h.Size)
		src := memberSource{name: h.Name, size: h.Size, at: section,
			open: func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(section, 0, h.Size)), nil }}
		if !a.member(src, full, depth) {
			return
		}
	}
}
