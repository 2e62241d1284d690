package modelformat_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/modelformat/formattest"
)

// TestCorpus judges every corpus file, with its name and without (an LFS
// object's key carries no name), and checks the verdict and its reason.
func TestCorpus(t *testing.T) {
	for _, c := range formattest.Cases(t) {
		for _, name := range []string{c.Name, ""} {
			rep, err := modelformat.Analyze(context.Background(), bytes.NewReader(c.Data), int64(len(c.Data)), name, modelformat.Options{})
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			got := rep.Verdict()
			if got != c.Want {
				t.Errorf("%s (name %q): verdict %s, want %s; findings %+v problems %v", c.Name, name, got, c.Want, rep.Findings, rep.Problems)
				continue
			}
			if c.Reason == "" {
				continue
			}
			text := strings.Join(rep.Problems, "; ")
			for _, f := range rep.Findings {
				text += "; " + f.Engine + ": " + f.Reason
			}
			if !strings.Contains(text, c.Reason) {
				t.Errorf("%s: reason %q lacks %q", c.Name, text, c.Reason)
			}
		}
	}
}
