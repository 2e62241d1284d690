package modelfile

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/modelfile/realcorpus"
	"github.com/hubsec/trustlayer/shared/pickle"
)

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
	files := realcorpus.Generate(t, t.TempDir())
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
	files := realcorpus.Generate(t, "--tensors", n, t.TempDir())
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
