package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelformat/formattest"
)

type formatEntry struct {
	Path               string `json:"path"`
	SecurityFileStatus *struct {
		Status          string `json:"status"`
		ModelFormatScan *struct {
			Status   string `json:"status"`
			Findings []struct {
				Engine, Severity, Reason string
			} `json:"findings"`
		} `json:"modelFormatScan"`
	} `json:"securityFileStatus"`
	Security struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"security"`
}

// TestModelFormatsThroughTheStack pushes the model-format corpus (ONNX and
// HDF5 made by python3-onnx and python3-h5py, .keras, SavedModel, GGUF and
// TorchScript built to their specs) with git and git-lfs: each file once
// under lfs/ (an LFS object: S3 key by oid, no name for the scanner) and
// once under git/ (a regular file the git server's hook copies under its
// name). The tree API must show each with the verdict, engine and reason;
// under git/, the dangerous and unreadable ones are refused at push, each
// named with its reason (invariant 11), and only the others enter git.
func TestModelFormatsThroughTheStack(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	cases := formattest.Cases(t)
	files := map[string][]byte{".gitattributes": []byte("lfs/** filter=lfs diff=lfs merge=lfs -text\n")}
	// A regular file judged dangerous, or that cannot be judged, never
	// enters git (invariant 11): those go under git/ in a push of their
	// own, which must be refused naming each with its reason.
	var refused []formattest.Case
	for _, c := range cases {
		files["lfs/"+c.Name] = c.Data
		if c.Want == "dangerous" || c.Want == "error" {
			refused = append(refused, c)
			continue
		}
		files["git/"+c.Name] = c.Data
	}
	// The files the benign models' loaders read beside them, which the
	// tree API looks up (onnx_external_subdir.onnx's weights, the
	// SavedModel's variables); without them those models are caution.
	for _, dir := range []string{"lfs/", "git/"} {
		files[dir+"weights/w.bin"] = make([]byte, 64)
		files[dir+"variables/variables.index"] = []byte("index")
		files[dir+"variables/variables.data-00000-of-00001"] = make([]byte, 64)
	}
	s.push(t, a, files)

	want := map[string]formattest.Case{}
	for _, c := range cases {
		want["lfs/"+c.Name] = c
		if c.Want != "dangerous" && c.Want != "error" {
			want["git/"+c.Name] = c
		}
	}
	if len(refused) == 0 {
		t.Fatal("the corpus has no dangerous or unreadable case")
	}
	dir := plainRepo(t)
	git(t, dir, "config", a.headerKey(s), a.authHeader())
	for _, c := range refused {
		writeBytes(t, dir, "git/"+c.Name, c.Data)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "unsafe regular files")
	git(t, dir, "fetch", "-q", a.remote(s), "main")
	git(t, dir, "rebase", "-q", "FETCH_HEAD")
	out, err := s.tryPush(t, a, dir)
	if err == nil {
		t.Errorf("push of dangerous and unreadable model files as regular files accepted:\n%s", out)
	}
	for _, c := range refused {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "  git/"+c.Name+": ") {
				line = l
			}
		}
		if line == "" || (c.Reason != "" && !strings.Contains(line, c.Reason)) {
			t.Errorf("git/%s (%s): refusal line %q, want the file with %q:\n%s", c.Name, c.Want, line, c.Reason, out)
		}
	}
	got := map[string]formatEntry{}
	for deadline := time.Now().Add(4 * time.Minute); time.Now().Before(deadline) && len(got) < len(want); time.Sleep(time.Second) {
		// Every page: with expand=true the tree API pages by 50 (Link).
		entries, _ := listPages[formatEntry](t, fmt.Sprintf("%s/api/models/%s/%s/tree/main?recursive=true&expand=true", s.gateway, a.user, a.repo), "Bearer "+a.token)
		for _, e := range entries {
			if _, ok := want[e.Path]; ok && e.SecurityFileStatus != nil && e.SecurityFileStatus.Status != "queued" && e.SecurityFileStatus.Status != "unscanned" {
				got[e.Path] = e
			}
		}
	}
	for path, c := range want {
		e, ok := got[path]
		if !ok {
			t.Errorf("%s: no verdict in time", path)
			continue
		}
		fs := e.SecurityFileStatus
		text := e.Security.Reason
		if fs.ModelFormatScan != nil {
			for _, f := range fs.ModelFormatScan.Findings {
				text += " | " + f.Engine + " " + f.Severity + ": " + f.Reason
			}
		}
		switch c.Want {
		case "dangerous":
			if fs.Status != "unsafe" || e.Security.Status != "infected" || fs.ModelFormatScan == nil || fs.ModelFormatScan.Status != "unsafe" {
				t.Errorf("%s: got %s/%s (%s), want unsafe by the model-format engine", path, fs.Status, e.Security.Status, text)
			}
		case "caution":
			if fs.Status != "caution" || e.Security.Status != "ok" || fs.ModelFormatScan == nil || fs.ModelFormatScan.Status != "caution" {
				t.Errorf("%s: got %s/%s (%s), want caution", path, fs.Status, e.Security.Status, text)
			}
		case "error":
			if fs.Status != "error" {
				t.Errorf("%s: got %s (%s), want error", path, fs.Status, text)
			}
		case "ok":
			if fs.Status != "safe" || fs.ModelFormatScan != nil {
				t.Errorf("%s: got %s (%s), want safe with no model-format block", path, fs.Status, text)
			}
		}
		if c.Reason != "" && !strings.Contains(text, c.Reason) {
			t.Errorf("%s: reason %q lacks %q", path, text, c.Reason)
		}
	}
}
