package modelfile

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// fixtures runs testdata/fixtures.py once per test and returns file bytes by name.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	py := testenv.RequireTool(t, "python3")
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/fixtures.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("fixtures.py: %v\n%s", err, out)
	}
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// zfile is one member for buildZip.
type zfile struct {
	name    string
	data    []byte
	deflate bool
}

// buildZip writes members the way torch.save lays them out (stored unless
// deflate is set).
func buildZip(t testing.TB, files ...zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		method := zip.Store
		if f.deflate {
			method = zip.Deflate
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: f.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// torchZip is a PyTorch-style checkpoint: archive/data.pkl, tensor blobs,
// archive/version.
func torchZip(t testing.TB, pkl []byte, tensorSize int) []byte {
	t.Helper()
	return buildZip(t,
		zfile{name: "archive/data.pkl", data: pkl},
		zfile{name: "archive/data/0", data: randomBytes(tensorSize, 1)},
		zfile{name: "archive/data/1", data: randomBytes(tensorSize/2+1, 2)},
		zfile{name: "archive/version", data: []byte("3\n")},
		zfile{name: "archive/.data/serialization_id", data: []byte("1234567890\n")},
	)
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{byte(seed)})
	rng.Read(b)
	return b
}

// patchZip applies fn to every local and central header of member name.
func patchZip(t testing.TB, z []byte, name string, fn func(hdr []byte, central bool)) []byte {
	t.Helper()
	z = bytes.Clone(z)
	found := 0
	for i := 0; i+46 < len(z); i++ {
		sig := binary.LittleEndian.Uint32(z[i:])
		switch {
		case sig == sigLocal && bytes.HasPrefix(z[i+30:], []byte(name)) && int(binary.LittleEndian.Uint16(z[i+26:])) == len(name):
			fn(z[i:], false)
			found++
		case sig == sigCentral && bytes.HasPrefix(z[i+46:], []byte(name)) && int(binary.LittleEndian.Uint16(z[i+28:])) == len(name):
			fn(z[i:], true)
			found++
		}
	}
	if found < 2 {
		t.Fatalf("patchZip: %s found in %d headers", name, found)
	}
	return z
}

// toZip64 rewrites the end of a comment-less zip to use zip64 records, as
// writers do for big checkpoints.
func toZip64(t testing.TB, z []byte) []byte {
	t.Helper()
	end := z[len(z)-eocdLen:]
	if binary.LittleEndian.Uint32(end) != sigEOCD {
		t.Fatal("toZip64: no end record")
	}
	entries := uint64(binary.LittleEndian.Uint16(end[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(end[12:]))
	dirOff := uint64(binary.LittleEndian.Uint32(end[16:]))
	out := bytes.Clone(z[:len(z)-eocdLen])
	recOff := uint64(len(out))
	rec := make([]byte, 56)
	binary.LittleEndian.PutUint32(rec, sigEOCD64)
	binary.LittleEndian.PutUint64(rec[4:], 44)
	binary.LittleEndian.PutUint64(rec[24:], entries)
	binary.LittleEndian.PutUint64(rec[32:], entries)
	binary.LittleEndian.PutUint64(rec[40:], dirSize)
	binary.LittleEndian.PutUint64(rec[48:], dirOff)
	loc := make([]byte, 20)
	binary.LittleEndian.PutUint32(loc, sigLocator64)
	binary.LittleEndian.PutUint64(loc[8:], recOff)
	binary.LittleEndian.PutUint32(loc[16:], 1)
	eocd := make([]byte, eocdLen)
	binary.LittleEndian.PutUint32(eocd, sigEOCD)
	binary.LittleEndian.PutUint16(eocd[8:], 0xffff)
	binary.LittleEndian.PutUint16(eocd[10:], 0xffff)
	binary.LittleEndian.PutUint32(eocd[12:], 0xffffffff)
	binary.LittleEndian.PutUint32(eocd[16:], 0xffffffff)
	out = append(append(append(out, rec...), loc...), eocd...)
	return out
}

func analyzeBytes(t testing.TB, data []byte, name string, opts Options) Report {
	t.Helper()
	rep, err := Analyze(context.Background(), bytes.NewReader(data), int64(len(data)), name, opts)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return rep
}
