package modelfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// readNpyHeader reads the .npy magic, version and header dict from r.
func readNpyHeader(r io.Reader, limit int64) (string, error) {
	var fixed [8]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return "", fmt.Errorf("npy: read magic: %w", err)
	}
	if !bytes.Equal(fixed[:6], []byte("\x93NUMPY")) {
		return "", fmt.Errorf("npy: bad magic")
	}
	var n int64
	switch fixed[6] {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return "", fmt.Errorf("npy: read header length: %w", err)
		}
		n = int64(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return "", fmt.Errorf("npy: read header length: %w", err)
		}
		n = int64(binary.LittleEndian.Uint32(l[:]))
	default:
		return "", fmt.Errorf("npy: unsupported version %d.%d", fixed[6], fixed[7])
	}
	if n > limit {
		return "", fmt.Errorf("npy: header of %d bytes exceeds the %d byte limit", n, limit)
	}
	header, err := io.ReadAll(io.LimitReader(r, n)) // grows with the data, not the claimed length
	if err != nil || int64(len(header)) != n {
		return "", fmt.Errorf("npy: read header: %d of %d bytes: %v", len(header), n, err)
	}
	if !bytes.Contains(header, []byte("descr")) {
		return "", fmt.Errorf("npy: header has no descr")
	}
	return string(header), nil
}

// npyStream parses a .npy header from r; unless its descr is a plain
// dtype without objects, the rest of r is the pickle numpy would load, and
// it is scanned. Plain dtypes are not read.
func (a *analyzer) npyStream(r io.Reader, full string) {
	header, err := readNpyHeader(r, a.opts.MaxHeader)
	if err != nil {
		a.problem("%s: %v", full, err)
		return
	}
	if !plainDescr(header) {
		a.scanPickleKind(r, full, KindNumpy)
	}
}

// npy analyses a top-level .npy file.
func (a *analyzer) npy(r io.ReaderAt, size int64, full string) {
	a.npyStream(&ctxReader{ctx: a.ctx, r: io.NewSectionReader(r, 0, size)}, full)
}
