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

// TestCompanions: the files a loader reads beside the model are reported
// for the tree check (ONNX external data that stays inside the folder; a
// SavedModel's variables index when its graph restores variables), and an
// escaping location is not (it is already dangerous by itself).
func TestCompanions(t *testing.T) {
	want := map[string][]string{
		"onnx_external.onnx":           {"onnx_external.onnx.data"},
		"onnx_external_subdir.onnx":    {"weights/w.bin"},
		"onnx_subgraph_traversal.onnx": nil,
		"saved_model_ok.pb":            {modelformat.VariablesIndex},
	}
	seen := 0
	for _, c := range formattest.Cases(t) {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		seen++
		rep, err := modelformat.Analyze(context.Background(), bytes.NewReader(c.Data), int64(len(c.Data)), c.Name, modelformat.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(rep.Companions, ",") != strings.Join(w, ",") {
			t.Errorf("%s: companions %q, want %q", c.Name, rep.Companions, w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d cases", seen, len(want))
	}
}
