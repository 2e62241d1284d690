package modelsig_test

import (
	"bufio"
	"context"
	"crypto/elliptic"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lukechampine.com/blake3"

	"github.com/hubsec/trustlayer/shared/modelsig"
)

// BenchmarkLFSSignatureCheck: the check of a signed repository of 10 LFS
// files of 100 MiB under sha256/files (the pointers' oids, no byte read)
// beside sha256sum hashing those bytes, measured in the same run; the
// ratio is ours over sha256sum's.
func BenchmarkLFSSignatureCheck(b *testing.B) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		b.Skip("sha256sum not installed")
	}
	const size = benchSize
	paths := benchFiles(b)
	// The reference: sha256sum over the same bytes (its digests become
	// the pointers' oids, as git-lfs would write them).
	start := time.Now()
	out, err := exec.Command("sha256sum", paths...).Output()
	if err != nil {
		b.Fatal(err)
	}
	ref := time.Since(start)
	files := map[string][]byte{}
	var tree []modelsig.File
	oids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		oids[filepath.Base(f[1])] = f[0]
	}
	// A manifest with those digests, signed.
	k := genKey(b, elliptic.P256())
	bundle := keyBundle(b, k, statementDigests(b, manifest{method: "files", hash: "sha256"}, oids), false)
	for name, oid := range oids {
		tree = append(tree, modelsig.File{Path: name, Mode: "100644", Size: size, LFS: &modelsig.LFSObject{OID: oid, Size: size}})
	}
	tree = append(tree, modelsig.File{Path: modelsig.BundlePath, Mode: "100644", Size: int64(len(bundle))})
	op := &dirOpener{files: files}
	ns := keyNS(pubPEM(b, k))
	b.ResetTimer()
	for b.Loop() {
		rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: bundle, Tree: tree, Open: op, Now: time.Now()})
		if err != nil || modelsig.Judge(rec, ns, time.Now()).Status != modelsig.Verified {
			b.Fatalf("%v %+v", err, rec)
		}
	}
	b.StopTimer()
	if op.opens.Load() != 0 {
		b.Fatalf("%d byte reads", op.opens.Load())
	}
	ours := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(ref.Nanoseconds()), "sha256sum-ns")
	b.ReportMetric(ours/float64(ref.Nanoseconds()), "ratio")
}

// benchSize is the size of each of the 10 benchmark files.
const benchSize = 100 << 20

// benchFiles writes 10 files of benchSize random bytes.
func benchFiles(b *testing.B) []string {
	b.Helper()
	dir := b.TempDir()
	var paths []string
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for i := range 10 {
		p := filepath.Join(dir, "model-0000"+string(rune('0'+i))+"-of-00010.safetensors")
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for range benchSize / len(buf) {
			_, _ = rng.Read(buf)
			_, _ = w.Write(buf)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	return paths
}

// diskOpener reads files from a folder (the bytes the uploads bucket
// would stream).
type diskOpener struct{ dir string }

func (o diskOpener) Open(_ context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error) {
	fh, err := os.Open(filepath.Join(o.dir, f.Path))
	if err != nil {
		return nil, err
	}
	if _, err := fh.Seek(off, io.SeekStart); err != nil {
		fh.Close()
		return nil, err
	}
	if n < 0 {
		return fh, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(fh, n), fh}, nil
}

// BenchmarkBLAKE3SignatureCheck: the same 10 files of 100 MiB signed
// under blake3/files (every byte must be read and hashed), checked with
// the bytes read from local files, beside hashing the same files with
// the Go BLAKE3 library (lukechampine.com/blake3, the one the check
// uses) directly, measured in each iteration; the ratio is ours over
// the library's own.
func BenchmarkBLAKE3SignatureCheck(b *testing.B) {
	paths := benchFiles(b)
	dir := filepath.Dir(paths[0])
	hashAll := func() map[string]string {
		out := map[string]string{}
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			h := blake3.New(32, nil)
			if _, err := io.Copy(h, f); err != nil {
				b.Fatal(err)
			}
			f.Close()
			out[filepath.Base(p)] = hex.EncodeToString(h.Sum(nil))
		}
		return out
	}
	digests := hashAll()
	k := genKey(b, elliptic.P256())
	bundle := keyBundle(b, k, statementDigests(b, manifest{method: "files", hash: "blake3"}, digests), false)
	var tree []modelsig.File
	for name := range digests {
		// LFS files: under blake3 their oid does not help, the bytes are read.
		tree = append(tree, modelsig.File{Path: name, Mode: "100644", Size: benchSize, LFS: &modelsig.LFSObject{OID: strings.Repeat("0", 64), Size: benchSize}})
	}
	tree = append(tree, modelsig.File{Path: modelsig.BundlePath, Mode: "100644", Size: int64(len(bundle))})
	ns := keyNS(pubPEM(b, k))
	var ours, ref time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		hashAll()
		ref += time.Since(start)
		start = time.Now()
		rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: bundle, Tree: tree, Open: diskOpener{dir}, Now: time.Now()})
		if err != nil || modelsig.Judge(rec, ns, time.Now()).Status != modelsig.Verified {
			b.Fatalf("%v %+v", err, rec)
		}
		ours += time.Since(start)
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "check-ns")
	b.ReportMetric(float64(ref.Nanoseconds())/float64(b.N), "blake3lib-ns")
	b.ReportMetric(float64(ours)/float64(ref), "ratio")
	b.ReportMetric(float64(10*benchSize)/1e6/(float64(ref.Seconds())/float64(b.N)), "blake3lib-MB/s")
}
