package e2e

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// TestHuggingFaceJSFiles drives the real huggingface.js client's file
// calls: uploadFile of a small file and of a 12 MiB binary (LFS) into a
// private repo, listFiles shows both, fileExists, pathsInfo, downloadFile
// returns the same bytes (the first download right after the commit
// answers 409 with Retry-After until the scan's verdict; the script retries), an anonymous download is refused, and an EICAR
// file's upload is refused with the file and the finding (invariant 11), so it is never downloadable.
func TestHuggingFaceJSFiles(t *testing.T) {
	node, dir := hfjs(t)
	h := newHub(t)
	u := h.signup("hfjsfiles")
	tok, _ := h.token(u, "write")
	in, out := t.TempDir(), t.TempDir()
	cfg := []byte(`{"model_type": "toy", "hidden_size": 8}` + "\n")
	model := make([]byte, 12<<20)
	rand.New(rand.NewSource(11)).Read(model)
	for name, b := range map[string][]byte{"config.json": cfg, "model.bin": model, "eicar.txt": []byte(scantest.EICAR)} {
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script, _ := filepath.Abs("testdata/hfjs_files.mjs")
	cmd := exec.Command(node, script, h.base, tok, u.Name, uniqueName("js-files"), in, out)
	cmd.Env = append(os.Environ(), "HFJS_DIR="+dir)
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("huggingface.js: %v\n%s", err, redact(string(raw)))
	}
	var got struct {
		Commits                    []string
		Listed, PathsInfo          []string
		Exists, Missing            bool
		AnonError                  string
		EicarUpload, EicarDownload string
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("script output: %s", raw)
	}
	if len(got.Commits) != 2 || len(got.Commits[0]) != 40 || len(got.Commits[1]) != 40 {
		t.Errorf("uploadFile commits: %v", got.Commits)
	}
	if strings.Join(got.Listed, ",") != "file:config.json:regular,file:model.bin:lfs" {
		t.Errorf("listFiles: %v", got.Listed)
	}
	if !got.Exists || got.Missing {
		t.Errorf("fileExists: config.json %v (want true), missing.txt %v (want false)", got.Exists, got.Missing)
	}
	if strings.Join(got.PathsInfo, ",") != "config.json:safe,model.bin:safe" {
		t.Errorf("pathsInfo: %v", got.PathsInfo)
	}
	for name, want := range map[string][]byte{"config.json": cfg, "model.bin": model} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("downloadFile %s: %d bytes (%v), want the %d uploaded", name, len(b), err, len(want))
		}
	}
	if !strings.HasPrefix(got.AnonError, "401") {
		t.Errorf("anonymous download of a private file: %q, want 401", got.AnonError)
	}
	// Invariant 11: a regular file judged infected never enters git, so the
	// upload is refused naming the file and the finding, and there is
	// nothing to download.
	if !strings.HasPrefix(got.EicarUpload, "4") || !strings.Contains(got.EicarUpload, "judged unsafe") || !strings.Contains(got.EicarUpload, "eicar.txt: ClamAV found malware") {
		t.Errorf("EICAR upload answered %q, want a 4xx naming eicar.txt and the finding", got.EicarUpload)
	}
	if !strings.HasPrefix(got.EicarDownload, "404") {
		t.Errorf("EICAR download answered %q, want 404 (it never entered the repository)", got.EicarDownload)
	}
}
