package modelfile

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// sparseWriter writes to f, seeking over all-zero chunks so a file of
// gigabytes of zeros takes no disk space.
type sparseWriter struct {
	f   *os.File
	end int64
}

var zeroChunk = make([]byte, 1<<20)

func (s *sparseWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), len(zeroChunk))
		if bytes.Equal(p[:k], zeroChunk[:k]) {
			if _, err := s.f.Seek(int64(k), io.SeekCurrent); err != nil {
				return 0, err
			}
		} else if _, err := s.f.Write(p[:k]); err != nil {
			return 0, err
		}
		s.end += int64(k)
		p = p[k:]
	}
	return n, nil
}

type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// hugeSafetensors writes a sparse safetensors file of size bytes: one F32
// tensor filling everything after the header.
func hugeSafetensors(t testing.TB, dir string, size int64) string {
	t.Helper()
	var header []byte
	for {
		data := size - 8 - int64(len(header))
		next := fmt.Appendf(nil, `{"w":{"dtype":"U8","shape":[%d],"data_offsets":[0,%d]}}`, data, data)
		if len(next) == len(header) {
			header = next
			break
		}
		header = next
	}
	p := filepath.Join(dir, "model.safetensors")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := f.Write(append(n[:], header...)); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// hugeCheckpoint writes a sparse torch.save-style zip whose one tensor
// storage (archive/data/0, stored, zip64) holds tensorBytes zeros.
func hugeCheckpoint(t testing.TB, dir string, tensorBytes int64) string {
	t.Helper()
	p := filepath.Join(dir, "pytorch_model.bin")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sw := &sparseWriter{f: f}
	zw := zip.NewWriter(sw)
	// What torch.save writes for {"w": tensor}: protocol 2, persistent id
	// ('storage', torch.ByteStorage, '0', 'cpu', n).
	pkl := fmt.Appendf(nil, "\x80\x02}q\x00X\x01\x00\x00\x00wq\x01ctorch._utils\n_rebuild_tensor_v2\nq\x02((X\x07\x00\x00\x00storageq\x03ctorch\nByteStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06\x8a\x05%sq\x07tq\x08QK\x00\x8a\x05%s\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rq\x09tq\x0aRq\x0bs.",
		le5(tensorBytes), le5(tensorBytes))
	for _, m := range []struct {
		name string
		r    io.Reader
	}{
		{"archive/data.pkl", bytes.NewReader(pkl)},
		{"archive/byteorder", bytes.NewReader([]byte("little"))},
		{"archive/data/0", &zeros{tensorBytes}},
		{"archive/version", bytes.NewReader([]byte("3\n"))},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, m.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(sw.end); err != nil {
		t.Fatal(err)
	}
	return p
}

func le5(n int64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	return string(b[:5])
}

// TestHugeSparseFilesOK: a 5 GiB safetensors file and a 5 GiB zip
// checkpoint are judged ok, reading a few kilobytes whatever the size.
func TestHugeSparseFilesOK(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two sparse 5 GiB files (checks 5 GiB of zeros for the zip's CRC)")
	}
	dir := t.TempDir()
	const size = 5 << 30
	for _, p := range []string{hugeSafetensors(t, dir, size), hugeCheckpoint(t, dir, size)} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		rep, err := Analyze(context.Background(), f, st.Size(), filepath.Base(p), Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if status, reason := verdictOf(rep); status != "ok" || st.Size() < size {
			t.Errorf("%s (%d bytes): %s %s, kind %s", filepath.Base(p), st.Size(), status, reason, rep.Kind)
		}
		if rep.BytesRead > 1<<20 {
			t.Errorf("%s: read %d bytes", filepath.Base(p), rep.BytesRead)
		}
		t.Logf("%s: %d bytes, kind %s, %d bytes read, imports %v", filepath.Base(p), st.Size(), rep.Kind, rep.BytesRead, rep.Imports())
	}
}
