package modelfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelfile/realcorpus"
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

// BenchmarkHugeCheckpointVerdict: time to verdict and bytes read for a
// sparse zip checkpoint of 1 GiB and 10 GiB (TRUSTLAYER_BENCH_GIB, comma
// separated), beside `sha256sum` of the same file, with the ratio.
func BenchmarkHugeCheckpointVerdict(b *testing.B) {
	sizes := []int64{1, 10}
	if v := os.Getenv("TRUSTLAYER_BENCH_GIB"); v != "" {
		sizes = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		b.Skip("sha256sum not on PATH")
	}
	for _, gib := range sizes {
		dir := b.TempDir()
		path := hugeCheckpoint(b, dir, gib<<30)
		b.Run(fmt.Sprintf("%dGiB", gib), func(b *testing.B) {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			start := time.Now()
			rep, err := Analyze(context.Background(), f, st.Size(), "pytorch_model.bin", Options{})
			ours := time.Since(start)
			if status, reason := verdictOf(rep); err != nil || status != "ok" {
				b.Fatalf("%v %s %s", err, status, reason)
			}
			start = time.Now()
			if out, err := exec.Command(sum, path).CombinedOutput(); err != nil {
				b.Fatalf("sha256sum: %v %s", err, out)
			}
			ref := time.Since(start)
			b.ReportMetric(float64(rep.BytesRead), "bytes-read")
			b.ReportMetric(ours.Seconds()/ref.Seconds(), "x-sha256sum")
			b.Logf("%d GiB checkpoint: verdict in %v reading %d bytes; sha256sum %v (%.0f MB/s); ratio %.6f",
				gib, ours, rep.BytesRead, ref, float64(st.Size())/ref.Seconds()/1e6, ours.Seconds()/ref.Seconds())
		})
	}
}

// BenchmarkRealCorpus: throughput of the analysis over the real-library
// corpus (every file, read from disk), with the false-positive and
// detection rates.
func BenchmarkRealCorpus(b *testing.B) {
	files := realcorpus.Generate(b, b.TempDir())
	var total int64
	data := make([][]byte, len(files))
	for i, f := range files {
		d, err := os.ReadFile(f.File)
		if err != nil {
			b.Fatal(err)
		}
		data[i] = d
		total += int64(len(d))
	}
	b.SetBytes(total)
	var fp, benign, caught, bad int
	// CPU time of this process per pass, beside the wall time: on a shared,
	// loaded machine the wall time mostly measures the wait for a core.
	cpu0 := processCPU()
	for b.Loop() {
		fp, benign, caught, bad = 0, 0, 0, 0
		for i, f := range files {
			rep, err := Analyze(context.Background(), bytes.NewReader(data[i]), int64(len(data[i])), f.File, Options{})
			if err != nil {
				b.Fatal(err)
			}
			status, _ := verdictOf(rep)
			if f.Expect == "ok" {
				benign++
				if status != "ok" {
					fp++
				}
			} else {
				bad++
				if status == "infected" {
					caught++
				}
			}
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.Logf("%d files, %d bytes: false positives %d/%d, detected %d/%d", len(files), total, fp, benign, caught, bad)
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
