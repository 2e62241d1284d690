package modelfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// picklescanDifferences are the globals picklescan reports that we report
// under another name, each decided by what CPython's unpickler does (see
// docs/scanning.md, "picklescan's samples"). Key: sample + " " + theirs.
// picklescanScanErrorDifferences are the samples picklescan reports a scan
// error for and we do not, each with why; every one is still dangerous by
// its imports (checked).
var picklescanScanErrorDifferences = map[string]string{
	// The payload's pickle ends at its STOP; picklescan's genops reads the
	// bytes after it ("\n\n\t\t") as a second pickle and fails at once.
	// pickle.load returns at the STOP: a later "pickle" that breaks
	// before importing anything is not one (pickle.Result.ErrBeforeImport).
	"data/malicious-invalid-bytes.pkl": "bytes after the last STOP",
}

var picklescanDifferences = map[string]string{
	// GLOBAL __builtin__.getattr then REDUCE (getattr, (__builtin__.dict,
	// "get")): the loader calls getattr on a class with a constant name,
	// which we judge as the attribute it fetches (dict.get, suspicious);
	// the file is infected by its eval/compile/apply anyway.
	"data/malicious0.pkl __builtin__.getattr": "__builtin__.dict.get",
	// getattr(bdb.Bdb, "run") is judged as the import bdb.Bdb.run
	// (dangerous), which is what the loader ends up calling.
	"data/malicious15a.pkl __builtin__.getattr": "bdb.Bdb.run",
	// STACK_GLOBAL with the int 42 as module: CPython's load_stack_global
	// refuses it ("STACK_GLOBAL requires str") before importing, and so do
	// we (no import; "" below); the os.system REDUCE before it makes the
	// file infected in both.
	"data2/type-confusion-exploit.pkl 42.os": "",
}

// TestPicklescanSamples runs the analyser on picklescan's committed test
// samples (MIT, testdata/picklescan) and checks picklescan's expectations:
// a sample with a dangerous global is infected, one without is ok, and
// every global picklescan reports is one we report too (its dangerous ones
// as dangerous), except the documented differences above.
func TestPicklescanSamples(t *testing.T) {
	dir := filepath.Join("testdata", "picklescan")
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Dangerous []string `json:"dangerous"`
		Others    []string `json:"others"`
		ScanErr   bool     `json:"scanErr"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	var samples int
	for _, sub := range []string{"data", "data2"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			samples++
			if _, ok := want[sub+"/"+e.Name()]; !ok {
				t.Errorf("%s/%s has no expectation in expected.json", sub, e.Name())
			}
		}
	}
	if samples != len(want) || samples < 100 {
		t.Fatalf("%d samples, %d expectations", samples, len(want))
	}
	used := map[string]bool{}
	for name, w := range want {
		rep := analyzeFile(t, filepath.Join(dir, filepath.FromSlash(name)))
		status, reason := verdictOf(rep)
		expect := "ok"
		if len(w.Dangerous) > 0 {
			expect = "infected"
		}
		if status != expect {
			t.Errorf("%s: %s (%s), picklescan expects %s (dangerous %v)", name, status, reason, expect, w.Dangerous)
			continue
		}
		ours := map[string]pickle.Safety{}
		for _, imp := range rep.Imports() {
			ours[imp.Module+"."+imp.Name] = imp.Safety
		}
		check := func(g string, dangerous bool) {
			if alt, ok := picklescanDifferences[name+" "+g]; ok {
				// Reported under another name, with the safety that
				// name has (the comment above says which).
				used[name+" "+g] = true
				if alt == "" {
					return // not an import in CPython: nothing to report
				}
				g, dangerous = alt, false
			}
			s, ok := ours[g]
			switch {
			case !ok:
				t.Errorf("%s: picklescan reports %s, we do not (ours: %v)", name, g, rep.Imports())
			case dangerous && s != pickle.Dangerous:
				t.Errorf("%s: picklescan rates %s dangerous, we rate it %s", name, g, s)
			}
		}
		for _, g := range w.Dangerous {
			check(g, true)
		}
		for _, g := range w.Others {
			check(g, false)
		}
		if w.ScanErr && len(rep.Problems) == 0 {
			if _, ok := picklescanScanErrorDifferences[name]; ok && rep.Highest == pickle.Dangerous {
				used[name] = true
			} else {
				t.Errorf("%s: picklescan reports a scan error, we report no problem", name)
			}
		}
	}
	for k := range picklescanScanErrorDifferences {
		if !used[k] {
			t.Errorf("scan error difference %q is not used: remove it", k)
		}
	}
	for k := range picklescanDifferences {
		if !used[k] {
			t.Errorf("difference %q is not used: remove it", k)
		}
	}
}
