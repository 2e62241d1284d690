package modelfile

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// realFile is one entry of testdata/realcorpus.py's manifest.
type realFile struct {
	File    string `json:"file"`
	Kind    string `json:"kind"`
	Expect  string `json:"expect"`  // ok or infected
	Finding string `json:"finding"` // text the verdict's reason must name
}

// realLibsPython returns a python3 that imports the Debian ML libraries
// (infra/deps.sh installs python3-torch, -numpy, -sklearn, -joblib, -pandas,
// -dill, -cloudpickle). Without one the test skips with what to install,
// except in CI or under `make test`, where it fails: a missing library must
// never pass as a skipped check.
func realLibsPython(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("TRUSTLAYER_PYTHON"), "/usr/bin/python3", "python3"}
	var tried []string
	for _, c := range candidates {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := exec.Command(p, "-c", "import torch, numpy, sklearn, joblib, pandas, dill, cloudpickle").CombinedOutput()
		if err == nil {
			return p
		}
		tried = append(tried, p+": "+strings.TrimSpace(lastLine(string(out))))
	}
	msg := "no python3 with torch, numpy, sklearn, joblib, pandas, dill and cloudpickle (run infra/deps.sh, which installs python3-torch python3-numpy python3-sklearn python3-joblib python3-pandas python3-dill python3-cloudpickle); tried: " + strings.Join(tried, "; ")
	if os.Getenv("CI") != "" || testenv.Strict() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// genRealCorpus runs the generator with args and returns its manifest.
func genRealCorpus(t testing.TB, args ...string) []realFile {
	t.Helper()
	py := realLibsPython(t)
	var stderr bytes.Buffer
	cmd := exec.Command(py, append([]string{"-W", "ignore", "testdata/realcorpus.py"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("realcorpus.py %v: %v\n%s", args, err, stderr.String())
	}
	var files []realFile
	if err := json.Unmarshal(out, &files); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return files
}

// verdictOf derives the file's verdict from a report the way the scanner
// does (scan.Verdict): a dangerous finding is infected, whatever else went
// wrong; a problem is error; else ok. reason names what was found.
func verdictOf(rep Report) (status, reason string) {
	if rep.Highest == pickle.Dangerous {
		return "infected", rep.Finding()
	}
	if len(rep.Problems) > 0 {
		return "error", rep.Problems[0]
	}
	return "ok", ""
}

func analyzeFile(t testing.TB, name string) Report {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze(context.Background(), f, st.Size(), name, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRealLibraryCorpus: every benign file the real libraries write comes
// back ok, every attack made with them is caught with a reason naming it.
func TestRealLibraryCorpus(t *testing.T) {
	files := genRealCorpus(t, t.TempDir())
	var benign, malicious, fp, missed int
	for _, f := range files {
		rep := analyzeFile(t, f.File)
		status, reason := verdictOf(rep)
		name := f.File[strings.LastIndexByte(f.File, '/')+1:]
		switch f.Expect {
		case "ok":
			benign++
			if status != "ok" {
				fp++
				t.Errorf("benign %s (%s): %s: %s; imports %v", name, f.Kind, status, reason, rep.Imports())
			}
		case "infected":
			malicious++
			if status != "infected" {
				missed++
				t.Errorf("attack %s (%s): %s %s; imports %v", name, f.Kind, status, reason, rep.Imports())
			} else if !strings.Contains(reason, f.Finding) {
				t.Errorf("attack %s (%s): reason %q does not name %q", name, f.Kind, reason, f.Finding)
			}
		default:
			t.Fatalf("%s: expect %q", name, f.Expect)
		}
	}
	if benign < 100 || malicious < 40 {
		t.Errorf("corpus has %d benign and %d malicious files, want at least 100 and 40", benign, malicious)
	}
	t.Logf("%d benign (%d not ok), %d malicious (%d missed)", benign, fp, malicious, missed)
}

// TestRandomTensorsNeverFlagged is the property test: torch.save of random
// tensors of every dtype and shape (a quarter in the legacy format), whose
// raw bytes often begin with pickle opcodes, always comes back ok.
func TestRandomTensorsNeverFlagged(t *testing.T) {
	n := "2000"
	if testing.Short() {
		n = "200"
	}
	files := genRealCorpus(t, "--tensors", n, t.TempDir())
	bad := 0
	for _, f := range files {
		rep := analyzeFile(t, f.File)
		if status, reason := verdictOf(rep); status != "ok" {
			bad++
			if bad <= 20 {
				t.Errorf("%s (%s): %s: %s", f.File, f.Kind, status, reason)
			}
		}
	}
	t.Logf("%d tensors, %d not ok", len(files), bad)
}
