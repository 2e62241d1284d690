package modelfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// make7z archives files (relative path -> bytes) with the 7z tool.
func make7z(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	tool := testenv.RequireTool(t, "7z")
	src := t.TempDir()
	for name, data := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "a.7z")
	cmd := exec.Command(tool, "a", "-bd", "-y", out, ".")
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("7z a: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAnalyze7z(t *testing.T) {
	fx := fixtures(t)
	tests := []struct {
		name     string
		files    map[string][]byte
		path     string // member path holding posix.system
		problems bool
	}{
		// picklescan bypass: a 7z "PyTorch" file whose pickle breaks right
		// after the payload.
		{"broken pickle after payload", map[string][]byte{"archive/data.pkl": fx["evil_broken.pkl"], "archive/version": []byte("3\n")},
			"archive/data.pkl", false}, // the tail breaks before any import: not a problem
		{"pickle with a non-pickle name", map[string][]byte{"weights/readme.txt": fx["evil.pkl"]}, "weights/readme.txt", false},
		{"pytorch zip inside", map[string][]byte{"model.pt": torchZip(t, fx["evil.pkl"], 1<<20)}, "model.pt!archive/data.pkl", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := analyzeBytes(t, make7z(t, tt.files), "model.7z", Options{})
			if rep.Kind != Kind7z {
				t.Errorf("kind = %s, want 7z", rep.Kind)
			}
			if rep.Highest != pickle.Dangerous || !hasImport(rep, tt.path, "posix", "system") {
				t.Errorf("highest %v members %+v, want posix.system in %s", rep.Highest, rep.Members, tt.path)
			}
			if (len(rep.Problems) > 0) != tt.problems {
				t.Errorf("problems = %q, want problems: %v", rep.Problems, tt.problems)
			}
		})
	}
}

func TestAnalyzeCorrupt7z(t *testing.T) {
	rep := analyzeBytes(t, []byte("7z\xbc\xaf\x27\x1c\x00\x04garbage-garbage-garbage-garbage"), "x.7z", Options{})
	if rep.Kind != Kind7z || len(rep.Problems) == 0 {
		t.Errorf("kind %s problems %q, want 7z with a problem", rep.Kind, rep.Problems)
	}
}
