package modelsig_test

import (
	"bufio"
	"context"
	"crypto/elliptic"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	const n, size = 10, 100 << 20
	dir := b.TempDir()
	var paths []string
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for i := range n {
		p := filepath.Join(dir, "model-0000"+string(rune('0'+i))+"-of-00010.safetensors")
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for range size / len(buf) {
			_, _ = rng.Read(buf)
			_, _ = w.Write(buf)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
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
