package modelfile

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkAnalyzeCheckpoint analyses a PyTorch-style checkpoint on disk
// (256 MiB by default; TRUSTLAYER_BENCH_MODEL_MIB=1024 for 1 GiB) beside
// SHA-256 over the same file, and reports bytes read and the speed ratio.
func BenchmarkAnalyzeCheckpoint(b *testing.B) {
	mib := 256
	if v, err := strconv.Atoi(os.Getenv("TRUSTLAYER_BENCH_MODEL_MIB")); err == nil && v > 0 {
		mib = v
	}
	path := writeCheckpoint(b, mib)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	size := st.Size()

	var analyzeNs, shaNs float64
	b.Run("analyze", func(b *testing.B) {
		var read int64
		for b.Loop() {
			rep, err := Analyze(context.Background(), f, size, "model.pt", Options{})
			if err != nil || len(rep.Members) == 0 {
				b.Fatalf("analyze: %v members %d", err, len(rep.Members))
			}
			read = rep.BytesRead
		}
		b.ReportMetric(float64(read), "bytes-read/op")
		b.ReportMetric(float64(size), "file-bytes")
		analyzeNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			h := sha256.New()
			if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
				b.Fatal(err)
			}
		}
		shaNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		if analyzeNs > 0 {
			b.ReportMetric(shaNs/analyzeNs, "sha256-time/analyze-time")
		}
	})
}

// writeCheckpoint writes archive/data.pkl plus mib MiB of stored tensors.
func writeCheckpoint(b *testing.B, mib int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "model.pt")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 1<<20)
	w := zip.NewWriter(bw)
	pkl := []byte("\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.")
	write := func(name string, r io.Reader) {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(fw, r); err != nil {
			b.Fatal(err)
		}
	}
	write("archive/data.pkl", io.LimitReader(constReader(pkl), int64(len(pkl))))
	const tensor = 16 << 20
	rng := rand.NewChaCha8([32]byte{7})
	for i := 0; i < mib/16; i++ {
		write("archive/data/"+strconv.Itoa(i), io.LimitReader(rng, tensor))
	}
	write("archive/version", io.LimitReader(constReader("3\n"), 2))
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	return path
}

type constReader []byte

func (c constReader) Read(p []byte) (int, error) { return copy(p, c), nil }
