// Package realcorpus makes, at test time, model files with the real
// libraries (Debian's python3-torch, -numpy, -sklearn, -joblib, -pandas,
// -dill, -cloudpickle): benign files of every pickle-family kind and
// attacks built with the same libraries (realcorpus.py).
package realcorpus

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// File is one entry of the manifest.
type File struct {
	File    string `json:"file"`
	Kind    string `json:"kind"`
	Expect  string `json:"expect"`  // ok or infected
	Finding string `json:"finding"` // text the verdict's reason must name
}

// Python returns a python3 that imports the libraries. Without one the
// test skips with what to install, except in CI (CI set) or under `make
// test` (TRUSTLAYER_REQUIRE_TOOLS=1), where it fails: infra/deps.sh
// installs them, so a missing library must never pass as a skipped check.
func Python(t testing.TB) string {
	t.Helper()
	var tried []string
	for _, c := range []string{os.Getenv("TRUSTLAYER_PYTHON"), "/usr/bin/python3", "python3"} {
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
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		tried = append(tried, p+": "+lines[len(lines)-1])
	}
	msg := "no python3 with torch, numpy, sklearn, joblib, pandas, dill and cloudpickle (run infra/deps.sh, which installs python3-torch python3-numpy python3-sklearn python3-joblib python3-pandas python3-dill python3-cloudpickle); tried: " + strings.Join(tried, "; ")
	if os.Getenv("CI") != "" || testenv.Strict() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Generate runs realcorpus.py with args (a directory for the corpus, or
// "--tensors", n, directory) and returns its manifest.
func Generate(t testing.TB, args ...string) []File {
	t.Helper()
	py := Python(t)
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "realcorpus.py")
	var stderr bytes.Buffer
	cmd := exec.Command(py, append([]string{"-W", "ignore", script}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("realcorpus.py %v: %v\n%s", args, err, stderr.String())
	}
	var files []File
	if err := json.Unmarshal(out, &files); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return files
}
