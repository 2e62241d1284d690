// Invariant 12 (docs/invariants.md): a moved repository keeps its
// verdicts and its git data. The file index is keyed by the repository's
// id and keeps the uploads-bucket key of every file's verdict; the git
// server keeps the repository's folder by id. So a rename or a transfer
// changes nothing a download, a clone or a push depends on.

package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInvariantMovedRepositoryKeepsVerdicts: a regular README.md and an
// LFS file pushed with git and git-lfs and scanned, then POST
// /api/repos/move to a new name. At the new name, at once: resolve and raw
// of README.md answer its bytes to the owner, the LFS file redirects, the
// tree's verdicts are final, LFS batch download answers, git clone (and
// git lfs pull) gets the commit, and a push works; after that push (a new
// root tree holding the LFS file uploaded under the old name) every
// verdict is still final. The old name is gone for resolve and git.
func TestInvariantMovedRepositoryKeepsVerdicts(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	u := h.signup("moved")
	tok, _ := h.token(u, "write")
	a := account{user: u.Name, token: tok, repo: uniqueName("before")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create repo")

	readme := "# a model that will move\n"
	weights := []byte(strings.Repeat("weights!", 512))
	s.push(t, a, map[string][]byte{"README.md": []byte(readme), "w.bin": weights})
	for _, p := range []string{"README.md", "w.bin"} {
		if e := s.waitHub(t, a, p); e.SecurityFileStatus.Status != "safe" {
			t.Fatalf("%s before the move: %+v, want safe", p, e.SecurityFileStatus)
		}
	}
	before := a
	a.repo = uniqueName("after")
	h.must(200, h.do("POST", "/api/repos/move", u.bearer(), map[string]any{"fromRepo": u.Name + "/" + before.repo, "toRepo": u.Name + "/" + a.repo}), "move")

	base := s.gateway + "/" + u.Name + "/" + a.repo
	if r := fetch(t, "GET", base+"/resolve/main/README.md", "Bearer "+tok); r.status != 200 || string(r.body) != readme {
		t.Errorf("resolve README.md after the move: %d %q, want 200 with its bytes", r.status, r.body)
	}
	if r := fetch(t, "GET", base+"/raw/main/README.md", "Bearer "+tok); r.status != 200 || string(r.body) != readme {
		t.Errorf("raw README.md after the move: %d %q", r.status, r.body)
	}
	if r := fetch(t, "GET", base+"/resolve/main/w.bin", "Bearer "+tok); r.status != http.StatusFound && (r.status != 200 || string(r.body) != string(weights)) {
		t.Errorf("resolve w.bin after the move: %d %.80s, want 302 or its bytes", r.status, r.body)
	}
	checkSafe := func(when string, want int) {
		t.Helper()
		st, entries := s.tree(t, a, "main?recursive=true&expand=true")
		if st != 200 || len(entries) != want {
			t.Fatalf("tree %s: %d %+v, want %d files", when, st, entries, want)
		}
		for _, e := range entries {
			if e.SecurityFileStatus == nil || e.SecurityFileStatus.Status != "safe" {
				t.Errorf("tree %s: %s is %+v, want safe", when, e.Path, e.SecurityFileStatus)
			}
		}
	}
	checkSafe("after the move", 3) // README.md, w.bin, .gitattributes
	if code, msg := s.batchDownload(t, a, oid(weights), len(weights)); code != 200 {
		t.Errorf("LFS batch download after the move: %d %s", code, msg)
	}
	req, _ := http.NewRequest("GET", base, nil)
	req.AddCookie(&http.Cookie{Name: "hf_session", Value: u.Session})
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 200 {
		t.Errorf("repository page after the move: %d", res.StatusCode)
	}

	// git: clone and LFS pull at the new name get the pushed commit.
	repo, err := s.pull(t, a)
	if err != nil {
		t.Fatalf("git clone and lfs pull at the new name: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(repo, "README.md")); string(b) != readme {
		t.Fatalf("cloned README.md at the new name: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(repo, "w.bin")); string(b) != string(weights) {
		t.Errorf("w.bin from git lfs pull at the new name: %d bytes, want %d", len(b), len(weights))
	}
	// A push at the new name: a new README.md and a new file; w.bin's
	// object was uploaded under the old name and is not sent again.
	readme2 := "# a model that moved\n"
	os.WriteFile(filepath.Join(repo, "README.md"), []byte(readme2), 0o644)
	os.WriteFile(filepath.Join(repo, "notes.txt"), []byte("pushed after the move\n"), 0o644)
	git(t, repo, "config", "user.email", u.Name+"@example.com")
	git(t, repo, "config", "user.name", u.Name)
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "after the move")
	git(t, repo, "push", "-q", "origin", "main")
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, "Bearer "+tok, "main", strings.TrimSpace(git(t, repo, "rev-parse", "HEAD")))
	for _, p := range []string{"README.md", "notes.txt", "w.bin"} {
		s.waitHub(t, a, p)
	}
	checkSafe("after a push at the new name", 4)
	if r := fetch(t, "GET", base+"/resolve/main/README.md", "Bearer "+tok); r.status != 200 || string(r.body) != readme2 {
		t.Errorf("resolve README.md after a push at the new name: %d %q", r.status, r.body)
	}
	if r := fetch(t, "GET", base+"/resolve/main/w.bin", "Bearer "+tok); r.status != http.StatusFound && (r.status != 200 || string(r.body) != string(weights)) {
		t.Errorf("resolve w.bin after a push at the new name: %d %.80s, want 302 or its bytes", r.status, r.body)
	}

	// The old name is gone, for downloads and for git, once the
	// authorizer's cache of repository facts for reads (5 s, by name)
	// has let go of it: allow 15 s.
	var oldStatus int
	var oldGit error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		oldStatus = fetch(t, "GET", s.gateway+"/"+u.Name+"/"+before.repo+"/resolve/main/README.md", "Bearer "+tok).status
		cmd := exec.Command("git", "-c", a.headerKey(s)+"="+a.authHeader(), "ls-remote", before.remote(s))
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "HOME="+t.TempDir())
		_, oldGit = cmd.CombinedOutput()
		if oldStatus == 404 && oldGit != nil {
			break
		}
	}
	if oldStatus != 404 {
		t.Errorf("old name 15 s after the move: %d, want 404", oldStatus)
	}
	if oldGit == nil {
		t.Errorf("git ls-remote at the old name 15 s after the move succeeded")
	}
}
