package modelfile

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// rawMember is a stored member written by hand, at a known offset.
type rawMember struct {
	name string
	data []byte
	off  uint64
}

func localHeader(m rawMember) []byte {
	h := make([]byte, 30)
	binary.LittleEndian.PutUint32(h, sigLocal)
	binary.LittleEndian.PutUint16(h[4:], 20)
	binary.LittleEndian.PutUint32(h[14:], crc32.ChecksumIEEE(m.data))
	binary.LittleEndian.PutUint32(h[18:], uint32(len(m.data)))
	binary.LittleEndian.PutUint32(h[22:], uint32(len(m.data)))
	binary.LittleEndian.PutUint16(h[26:], uint16(len(m.name)))
	return append(append(h, m.name...), m.data...)
}

func centralRecord(m rawMember) []byte {
	h := make([]byte, 46)
	binary.LittleEndian.PutUint32(h, sigCentral)
	binary.LittleEndian.PutUint16(h[4:], 20)
	binary.LittleEndian.PutUint16(h[6:], 20)
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(m.data))
	binary.LittleEndian.PutUint32(h[20:], uint32(len(m.data)))
	binary.LittleEndian.PutUint32(h[24:], uint32(len(m.data)))
	binary.LittleEndian.PutUint16(h[28:], uint16(len(m.name)))
	binary.LittleEndian.PutUint32(h[42:], uint32(m.off))
	return append(h, m.name...)
}

func zip64End(entries, dirSize, dirOff, at uint64) []byte {
	rec := make([]byte, 56)
	binary.LittleEndian.PutUint32(rec, sigEOCD64)
	binary.LittleEndian.PutUint64(rec[4:], 44)
	binary.LittleEndian.PutUint64(rec[24:], entries)
	binary.LittleEndian.PutUint64(rec[32:], entries)
	binary.LittleEndian.PutUint64(rec[40:], dirSize)
	binary.LittleEndian.PutUint64(rec[48:], dirOff)
	loc := make([]byte, 20)
	binary.LittleEndian.PutUint32(loc, sigLocator64)
	binary.LittleEndian.PutUint64(loc[8:], at)
	binary.LittleEndian.PutUint32(loc[16:], 1)
	return append(rec, loc...)
}

func classicEnd(entries, dirSize, dirOff uint64) []byte {
	e := make([]byte, eocdLen)
	binary.LittleEndian.PutUint32(e, sigEOCD)
	binary.LittleEndian.PutUint16(e[8:], uint16(entries))
	binary.LittleEndian.PutUint16(e[10:], uint16(entries))
	binary.LittleEndian.PutUint32(e[12:], uint32(dirSize))
	binary.LittleEndian.PutUint32(e[16:], uint32(dirOff))
	return e
}

// TestZipDirectoriesDisagree builds the archive of issue 12 item 5: the
// classic end record points at a directory listing a clean data.pkl, the
// zip64 locator (which miniz and Python's zipfile follow whenever present)
// at one listing a malicious data.pkl. It must not come back clean.
func TestZipDirectoriesDisagree(t *testing.T) {
	fx := fixtures(t)
	clean := rawMember{name: "archive/data.pkl", data: fx["benign.pkl"]}
	evil := rawMember{name: "archive/data.pkl", data: fx["evil.pkl"]}
	var z []byte
	clean.off = uint64(len(z))
	z = append(z, localHeader(clean)...)
	evil.off = uint64(len(z))
	z = append(z, localHeader(evil)...)
	dir1Off := uint64(len(z))
	z = append(z, centralRecord(clean)...)
	dir1Size := uint64(len(z)) - dir1Off
	dir2Off := uint64(len(z))
	z = append(z, centralRecord(evil)...)
	dir2Size := uint64(len(z)) - dir2Off
	z = append(z, zip64End(1, dir2Size, dir2Off, uint64(len(z)))...)
	z = append(z, classicEnd(1, dir1Size, dir1Off)...)

	rep := analyzeBytes(t, z, "model.pt", Options{})
	if rep.Highest != pickle.Dangerous && len(rep.Problems) == 0 {
		t.Fatalf("classic and zip64 directories disagree, got a clean report: %+v", rep)
	}
	if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "disagree") }) {
		t.Errorf("problems %q, want one saying the directories disagree", rep.Problems)
	}
	if !hasImport(rep, "archive/data.pkl", "posix", "system") {
		t.Errorf("members %+v: want the zip64 directory's data.pkl (posix.system) scanned, as torch would load it", rep.Members)
	}
}

// TestZipBytesOutsideMembers: bytes no listed member, descriptor or
// directory accounts for (a hidden member torch could reach through another
// directory) make the archive an error.
func TestZipBytesOutsideMembers(t *testing.T) {
	fx := fixtures(t)
	hidden := rawMember{name: "archive/data.pkl", data: fx["evil.pkl"]}
	clean := rawMember{name: "archive/data.pkl", data: fx["benign.pkl"]}
	z := localHeader(hidden)
	clean.off = uint64(len(z))
	z = append(z, localHeader(clean)...)
	dirOff := uint64(len(z))
	z = append(z, centralRecord(clean)...)
	z = append(z, classicEnd(1, uint64(len(z))-dirOff, dirOff)...)
	rep := analyzeBytes(t, z, "model.pt", Options{})
	if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "outside") }) {
		t.Fatalf("problems %q, want one about bytes outside every member", rep.Problems)
	}
	// Well-formed archives have no such bytes.
	for name, data := range map[string][]byte{"torch-style": torchZip(t, fx["benign.pkl"], 4096), "zip64": toZip64(t, torchZip(t, fx["benign.pkl"], 4096)),
		"deflated": buildZip(t, zfile{name: "a/data.pkl", data: fx["benign.pkl"], deflate: true}, zfile{name: "dir/"})} {
		if rep := analyzeBytes(t, data, "model.pt", Options{}); len(rep.Problems) > 0 {
			t.Errorf("%s: problems %q on a well-formed archive", name, rep.Problems)
		}
	}
}
