package signature_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/signature"
)

// gitIters is how many times `git verify-commit` runs per key type: each
// run execs git and gpg, so a few are enough for a stable mean.
const gitIters = 10

// BenchmarkVerify measures Verify on real ed25519 and RSA-3072 signed
// commits with an in-memory directory, measures `git verify-commit` on the
// same commits in the same run, and reports the ratio as
// x-faster-than-git. Parsed keys are cached (see the package doc), as they
// are in production.
func BenchmarkVerify(b *testing.B) {
	w := newWorld(b)
	w.upload(b, "alice", "rita")
	cases := []struct{ name, key, email string }{
		{"ed25519", "alice", "alice@example.com"},
		{"rsa3072", "rita", "rita@example.com"},
	}
	for _, c := range cases {
		id := w.sha1.Commit(c.key, c.email, w.gpgSigner(c.key, 0), "bench "+c.name)
		raw := w.sha1.CatFile("commit", id)
		if ok, exit, out := w.sha1.Verify("commit", id, ""); !ok || !exit {
			b.Fatalf("git verify-commit fails on the %s commit:\n%s", c.name, out)
		}
		start := time.Now()
		for range gitIters {
			w.sha1.Verify("commit", id, "")
		}
		gitPerOp := float64(time.Since(start).Nanoseconds()) / gitIters

		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				res, err := signature.Verify(ctx, raw, signature.Commit, w.dir, now)
				if err != nil || !res.Verified {
					b.Fatalf("got %+v, %v", res.Reason, err)
				}
			}
			ours := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(gitPerOp, "git-ns/op")
			b.ReportMetric(gitPerOp/ours, "x-faster-than-git")
		})
	}
}
