package modelsig_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelsig"
)

// FuzzVerify: any model.sig gives a status (never a panic); the seed
// corpus is every bundle of testdata.
func FuzzVerify(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*/*.json")
	more, _ := filepath.Glob("testdata/reference/*/model.sig")
	for _, p := range append(seeds, more...) {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	tr, op := memTree(model())
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Tree: tr, Open: op, Now: time.Now()})
		if err != nil {
			return
		}
		switch rec.Status {
		case modelsig.Invalid, modelsig.Mismatch, modelsig.Pending:
		default:
			t.Fatalf("status %q", rec.Status)
		}
		_ = modelsig.Judge(rec, modelsig.Namespace{}, time.Now())
	})
}

// FuzzStatement: any payload parses or is refused, never panics.
func FuzzStatement(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = modelsig.ParseStatement(b) })
}
