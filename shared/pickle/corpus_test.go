package pickle

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// corpusCase is one entry of the manifest testdata/gencorpus.py prints.
type corpusCase struct {
	Name     string      `json:"name"`
	File     string      `json:"file"`
	Want     [][2]string `json:"want"`     // imports Python performed loading the file
	Exact    bool        `json:"exact"`    // Want must equal our list
	Contains [][2]string `json:"contains"` // imports we must report in any case
	Highest  string      `json:"highest"`
	Err      bool        `json:"err"`    // Python failed to load it
	Genops   [][2]string `json:"genops"` // GLOBAL/INST arguments per pickletools
}

// loadCorpus runs the generator with python3 and returns its manifest.
func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	py := testenv.RequireTool(t, "python3")
	dir := t.TempDir()
	var stderr bytes.Buffer
	cmd := exec.Command(py, "testdata/gencorpus.py", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gencorpus.py: %v\n%s", err, stderr.String())
	}
	var cases []corpusCase
	if err := json.Unmarshal(out, &cases); err != nil {
		t.Fatalf("decode manifest: %v", err)
	}
	return cases
}

func TestScanPythonCorpus(t *testing.T) {
	for _, tt := range loadCorpus(t) {
		t.Run(tt.Name, func(t *testing.T) {
			f, err := os.Open(tt.File)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res := Scan(f, Options{})

			got := map[[2]string]bool{}
			for _, imp := range res.Imports {
				got[[2]string{imp.Module, imp.Name}] = true
				if imp.Safety != Rate(imp.Module, imp.Name) {
					t.Errorf("import %v: safety %v, Rate says %v", imp, imp.Safety, Rate(imp.Module, imp.Name))
				}
			}
			for _, w := range append(append(tt.Contains, tt.Genops...), tt.Want...) {
				if !got[w] {
					t.Errorf("missing import %s.%s; got %v", w[0], w[1], res.Imports)
				}
			}
			if tt.Exact && len(res.Imports) != len(tt.Want) {
				t.Errorf("got %d imports %v, want %d %v", len(res.Imports), res.Imports, len(tt.Want), tt.Want)
			}
			if res.Highest.String() != tt.Highest {
				t.Errorf("highest = %v, want %s (imports %v)", res.Highest, tt.Highest, res.Imports)
			}
			if (res.Err != nil) != tt.Err {
				t.Errorf("err = %v, want error: %v", res.Err, tt.Err)
			}
			if res.Pickles < 1 {
				t.Errorf("pickles = %d, want at least 1", res.Pickles)
			}
		})
	}
}

// TestCorpusLooksLikePickle checks every generated pickle passes the sniffer.
func TestCorpusLooksLikePickle(t *testing.T) {
	for _, tt := range loadCorpus(t) {
		data, err := os.ReadFile(tt.File)
		if err != nil {
			t.Fatal(err)
		}
		prefix := data[:min(len(data), 256)]
		if !Sniff(prefix, int64(len(data))) {
			t.Errorf("%s: Sniff = false, want true (prefix %q)", tt.Name, prefix[:min(len(prefix), 40)])
		}
	}
}
