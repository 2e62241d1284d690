package modelfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// zipEntry is one central directory record: the only metadata trusted.
type zipEntry struct {
	name       string
	method     uint16
	flags      uint16
	compressed uint64
	size       uint64
	localOff   uint64
}

const (
	sigLocal     = 0x04034b50
	sigCentral   = 0x02014b50
	sigEOCD      = 0x06054b50
	sigEOCD64    = 0x06064b50
	sigLocator64 = 0x07064b50
	eocdLen      = 22
)

var errNotZip = errors.New("no end of central directory record")

// errZipDisagree is reported when the classic end record and the zip64 one
// describe different directories: readers disagree on what the archive
// holds, so it cannot be judged clean.
var errZipDisagree = errors.New("classic and zip64 end records disagree on the central directory")

// readCentralDirectory finds and parses a zip's central directory with a
// few ranged reads: the tail for the end record, then the directory itself.
// Like miniz (torch) and Python's zipfile, it follows the zip64 locator
// whenever one precedes the end record, saturated classic fields or not.
// It also returns where the directory starts: the members live before it.
// An error with entries (directories that disagree, bytes between the
// directory and the end record) still lists what the zip64 directory says.
// Flags, CRCs and local header names are not checked, because torch does
// not check them either.
func readCentralDirectory(r io.ReaderAt, size int64, maxEntries int, maxDirBytes int64) ([]zipEntry, uint64, error) {
	if size < eocdLen {
		return nil, 0, errNotZip
	}
	tail, err := readAtMost(r, size-eocdLen, eocdLen)
	if err != nil {
		return nil, 0, err
	}
	eocdOff := int64(-1)
	if len(tail) == eocdLen && binary.LittleEndian.Uint32(tail) == sigEOCD && binary.LittleEndian.Uint16(tail[20:]) == 0 {
		eocdOff = size - eocdLen
	} else {
		// A comment follows the record: search the last 64 KiB.
		start := max(0, size-eocdLen-0xffff)
		tail, err = readAtMost(r, start, size-start)
		if err != nil {
			return nil, 0, err
		}
		i := bytes.LastIndex(tail, []byte("PK\x05\x06"))
		if i < 0 || len(tail)-i < eocdLen {
			return nil, 0, errNotZip
		}
		eocdOff = start + int64(i)
		tail = tail[i : i+eocdLen]
	}
	entries := uint64(binary.LittleEndian.Uint16(tail[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(tail[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(tail[16:]))
	var problem error
	if eocdOff+eocdLen+int64(binary.LittleEndian.Uint16(tail[20:])) != size {
		problem = fmt.Errorf("%d bytes after the end record's comment, outside every member", size-eocdOff-eocdLen-int64(binary.LittleEndian.Uint16(tail[20:])))
	}
	dirEnd := uint64(eocdOff) // where the directory must end
	z64, recOff, err := readZip64End(r, eocdOff)
	switch {
	case err != nil:
		return nil, 0, err
	case z64 != nil:
		saturated := func(classic, full, max uint64) bool { return classic == max || classic == full }
		if !saturated(entries, z64[0], 0xffff) || !saturated(dirSize, z64[1], 0xffffffff) || !saturated(dirOff, z64[2], 0xffffffff) {
			problem = errZipDisagree
		}
		entries, dirSize, dirOff, dirEnd = z64[0], z64[1], z64[2], recOff
	case entries == 0xffff || dirSize == 0xffffffff || dirOff == 0xffffffff:
		return nil, 0, errors.New("zip64 locator missing")
	}
	if dirSize > uint64(maxDirBytes) {
		return nil, 0, fmt.Errorf("central directory of %d bytes exceeds the %d byte limit", dirSize, maxDirBytes)
	}
	if dirOff+dirSize > uint64(size) || dirOff+dirSize < dirOff {
		return nil, 0, fmt.Errorf("central directory at %d+%d past end of file (%d)", dirOff, dirSize, size)
	}
	if problem == nil && dirOff+dirSize != dirEnd {
		problem = fmt.Errorf("bytes %d to %d lie between the central directory and the end record, outside every member", dirOff+dirSize, dirEnd)
	}
	dir, err := readAtMost(r, int64(dirOff), int64(dirSize))
	if err != nil {
		return nil, 0, err
	}
	out, err := parseCentralDirectory(dir, entries, maxEntries)
	if err == nil {
		err = problem
	}
	return out, dirOff, err
}

// readZip64End follows the zip64 locator just before the end record at
// eocdOff, if there is one: it returns the zip64 record's entry count,
// directory size and offset, and where the record starts. A locator
// pointing at no zip64 record is an error.
func readZip64End(r io.ReaderAt, eocdOff int64) (*[3]uint64, uint64, error) {
	if eocdOff < 20 {
		return nil, 0, nil
	}
	loc, err := readAtMost(r, eocdOff-20, 20)
	if err != nil {
		return nil, 0, err
	}
	if len(loc) < 20 || binary.LittleEndian.Uint32(loc) != sigLocator64 {
		return nil, 0, nil
	}
	recOff := binary.LittleEndian.Uint64(loc[8:])
	rec, err := readAtMost(r, int64(min(recOff, 1<<62)), 56)
	if err != nil {
		return nil, 0, err
	}
	if len(rec) < 56 || binary.LittleEndian.Uint32(rec) != sigEOCD64 {
		return nil, 0, errors.New("zip64 locator points at no zip64 end record")
	}
	if recSize := binary.LittleEndian.Uint64(rec[4:]); recOff+12+recSize != uint64(eocdOff-20) {
		return nil, 0, fmt.Errorf("zip64 end record at %d does not end at its locator (%d)", recOff, eocdOff-20)
	}
	return &[3]uint64{binary.LittleEndian.Uint64(rec[32:]), binary.LittleEndian.Uint64(rec[40:]), binary.LittleEndian.Uint64(rec[48:])}, recOff, nil
}

// zipSpan is the part of the archive one member accounts for: its local
// header and data, plus room for a data descriptor when flag bit 3 says
// one follows.
type zipSpan struct {
	start, end, slack uint64
}

func spanOf(e zipEntry, dataOff int64) zipSpan {
	s := zipSpan{start: e.localOff, end: uint64(dataOff) + e.compressed}
	if e.flags&0x8 != 0 {
		s.slack = 24 // signature, CRC and two 8-byte sizes at most
	}
	return s
}

// checkCoverage reports bytes before the central directory that no member
// accounts for: a member one reader sees and another does not.
func checkCoverage(spans []zipSpan, dirOff uint64) error {
	slices.SortFunc(spans, func(a, b zipSpan) int { return cmpU(a.start, b.start) })
	cur, slack := uint64(0), uint64(0)
	for _, s := range spans {
		if s.start > cur+slack {
			return fmt.Errorf("bytes %d to %d lie outside every member", cur, s.start)
		}
		if s.end >= cur {
			cur, slack = s.end, s.slack
		}
	}
	if dirOff > cur+slack {
		return fmt.Errorf("bytes %d to %d lie outside every member", cur, dirOff)
	}
	return nil
}

func parseCentralDirectory(dir []byte, declared uint64, maxEntries int) ([]zipEntry, error) {
	var out []zipEntry
	for len(dir) >= 46 {
		if binary.LittleEndian.Uint32(dir) != sigCentral {
			break
		}
		if len(out) >= maxEntries {
			return out, fmt.Errorf("%w: more than %d zip entries", errMemberLimit, maxEntries)
		}
		e := zipEntry{
			flags:      binary.LittleEndian.Uint16(dir[8:]),
			method:     binary.LittleEndian.Uint16(dir[10:]),
			compressed: uint64(binary.LittleEndian.Uint32(dir[20:])),
			size:       uint64(binary.LittleEndian.Uint32(dir[24:])),
			localOff:   uint64(binary.LittleEndian.Uint32(dir[42:])),
		}
		nameLen := int(binary.LittleEndian.Uint16(dir[28:]))
		extraLen := int(binary.LittleEndian.Uint16(dir[30:]))
		commentLen := int(binary.LittleEndian.Uint16(dir[32:]))
		if 46+nameLen+extraLen+commentLen > len(dir) {
			return out, errors.New("central directory record truncated")
		}
		e.name = string(dir[46 : 46+nameLen])
		applyZip64Extra(&e, dir[46+nameLen:46+nameLen+extraLen])
		out = append(out, e)
		dir = dir[46+nameLen+extraLen+commentLen:]
	}
	if uint64(len(out)) != declared && declared != 0xffff {
		return out, fmt.Errorf("central directory lists %d entries, end record says %d", len(out), declared)
	}
	return out, nil
}

// applyZip64Extra replaces saturated 32-bit fields with their zip64 values.
func applyZip64Extra(e *zipEntry, extra []byte) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+n > len(extra) {
			return
		}
		if id == 0x0001 {
			f := extra[4 : 4+n]
			next := func(v *uint64) {
				if *v == 0xffffffff && len(f) >= 8 {
					*v = binary.LittleEndian.Uint64(f)
					f = f[8:]
				}
			}
			next(&e.size)
			next(&e.compressed)
			next(&e.localOff)
		}
		extra = extra[4+n:]
	}
}

// dataOffset reads the local header at e.localOff and returns where the
// member's data starts. Only the local name and extra lengths are used.
func dataOffset(r io.ReaderAt, e zipEntry) (int64, error) {
	h, err := readAtMost(r, int64(min(e.localOff, 1<<62)), 30)
	if err != nil {
		return 0, err
	}
	if len(h) < 30 || binary.LittleEndian.Uint32(h) != sigLocal {
		return 0, fmt.Errorf("no local header at offset %d", e.localOff)
	}
	n := int64(binary.LittleEndian.Uint16(h[26:]))
	m := int64(binary.LittleEndian.Uint16(h[28:]))
	return int64(e.localOff) + 30 + n + m, nil
}
