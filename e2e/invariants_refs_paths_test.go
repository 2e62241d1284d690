// End-to-end tests of invariants 2, 5, 6 and 7 (docs/invariants.md)
// through every path that can make a ref or a tree: git push over HTTP,
// the commit API, and the reads (resolve, raw, the tree API, the pages)
// that must then agree.

package e2e

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// clone makes a local repository of a's repository at main, with a's
// credentials scoped to the gateway; gitRun runs in it.
func (s stack) clone(t *testing.T, a account) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "user.email", a.user+"@example.com")
	git(t, dir, "config", "user.name", a.user)
	git(t, dir, "config", a.headerKey(s), a.authHeader())
	git(t, dir, "fetch", "-q", a.remote(s), "main")
	git(t, dir, "reset", "-q", "--hard", "FETCH_HEAD")
	return dir
}

func writeWorkFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lsRemote lists the remote's refs: name -> id.
func (s stack) lsRemote(t *testing.T, a account) map[string]string {
	t.Helper()
	out := git(t, t.TempDir(), "ls-remote", a.remote(s))
	refs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if id, name, ok := strings.Cut(l, "\t"); ok {
			refs[name] = id
		}
	}
	return refs
}

// TestRefNamesMeanOneThing (invariants 2 and 6): a branch or tag named as
// a full commit id (any case), HEAD, or a name beginning refs/ is refused
// by git push and by the commit API, and no such ref appears; a full id
// then still serves that commit's bytes through resolve, raw, the tree
// API and the file page; and commits to main keep working (200, never
// 500).
func TestRefNamesMeanOneThing(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t) // public: the pages are read anonymously
	s.push(t, a, map[string][]byte{"a.txt": []byte("one\n")})
	c1 := s.remoteHead(t, a)
	dir := s.clone(t, a)
	writeWorkFile(t, dir, "a.txt", "two\n")
	git(t, dir, "commit", "-q", "-am", "two")
	for _, ref := range []string{"refs/heads/" + c1, "refs/heads/" + strings.ToUpper(c1), "refs/tags/" + c1,
		"refs/heads/HEAD", "refs/heads/refs/heads/main", "refs/tags/refs/tags/v1",
		"refs/replace/" + c1} { // git would read c1 as HEAD's content
		out, err := gitRun(t, dir, "push", a.remote(s), "HEAD:"+ref)
		if err == nil || !strings.Contains(out, "must mean one thing") {
			t.Errorf("git push HEAD:%s: %v, want refused by the hook:\n%s", ref, err, redact(out))
		}
	}
	for _, rev := range []string{c1, strings.ToUpper(c1), "HEAD", url.PathEscape("refs/heads/main"), url.PathEscape("refs/heads/x")} {
		if st, _, msg := s.commitAPI(t, a, rev, header("Hijack", ""), fileOp("a.txt", "three\n")); st != 400 {
			t.Errorf("commit API to revision %q: %d %s, want 400", rev, st, msg)
		}
	}
	refs := s.lsRemote(t, a)
	for name := range refs {
		if name != "HEAD" && name != "refs/heads/main" {
			t.Errorf("the remote has ref %s", name)
		}
	}
	if refs["refs/heads/main"] != c1 {
		t.Errorf("main is at %s, want %s", refs["refs/heads/main"], c1)
	}
	// A full id names its commit everywhere.
	base := s.gateway + "/" + a.user + "/" + a.repo
	waitServed(t, base+"/resolve/"+c1+"/a.txt")
	for _, op := range []string{"resolve", "raw"} {
		if r := fetch(t, "GET", base+"/"+op+"/"+c1+"/a.txt", ""); r.status != 200 || string(r.body) != "one\n" || r.header.Get("X-Repo-Commit") != c1 {
			t.Errorf("%s at %s: %d %q %q", op, c1, r.status, r.body, r.header.Get("X-Repo-Commit"))
		}
	}
	st, es := s.tree(t, a, c1)
	found := false
	for _, e := range es {
		found = found || e.Path == "a.txt" && e.OID == blobID([]byte("one\n"))
	}
	if st != 200 || !found {
		t.Errorf("tree at %s: %d %+v", c1, st, es)
	}
	if r := fetch(t, "GET", base+"/blob/"+c1+"/a.txt", ""); r.status != 200 || !strings.Contains(string(r.body), blobID([]byte("one\n"))) {
		t.Errorf("file page at %s: %d", c1, r.status)
	}
	// main still takes commits.
	if st, id, msg := s.commitAPI(t, a, "main", header("Fine", ""), fileOp("b.txt", "b\n")); st != 200 || len(id) != 40 {
		t.Errorf("commit to main: %d %s", st, msg)
	}
}

// TestAcknowledgedMeansStored (invariant 5): paths git drops or refuses,
// or that Windows and macOS clients cannot check out, and a .gitmodules
// pointing outside, are refused by the commit API with 400 (never a 200
// for a commit without them) and by git push (receive.fsckObjects); the
// branch does not move; a fair commit's every path is then in the tree.
func TestAcknowledgedMeansStored(t *testing.T) {
	s := needStack(t)
	a := s.privateAccount(t)
	st, first, msg := s.commitAPI(t, a, "main", header("First", ""), fileOp("ok.txt", "ok\n"))
	if st != 200 {
		t.Fatalf("first commit: %d %s", st, msg)
	}
	for _, p := range []string{".git./y", "git~1/y", "GIT~1/config", ".git /y", ".g\u200cit/y", "\u200d.GIT/hooks/x", ".Git/config",
		"C:/x", "a:b", "x/nul", "AUX.txt", "dir./x", ".gitmodules.", "gitmod~1", "a\\b"} {
		if st, id, msg := s.commitAPI(t, a, "main", header("Hostile", ""), fileOp(p, "x\n")); st != 400 {
			t.Errorf("commit API path %q: %d %s %s, want 400", p, st, id, msg)
		}
	}
	outside := "[submodule \"x\"]\n\tpath = x\n\turl = ../../victim/private.git\n"
	if st, _, msg := s.commitAPI(t, a, "main", header("Submodule", ""), fileOp(".gitmodules", outside)); st != 400 {
		t.Errorf(".gitmodules pointing outside: %d %s, want 400", st, msg)
	}
	if head := s.remoteHead(t, a); head != first {
		t.Fatalf("main moved to %s after refused commits, want %s", head, first)
	}
	// git push: a tree git's own index would refuse, built with mktree.
	dir := s.clone(t, a)
	for _, name := range []string{".git.", "git~1", ".GIT", ".g\u200cit"} {
		blob := strings.TrimSpace(git(t, dir, "hash-object", "-w", "ok.txt"))
		sub := strings.TrimSpace(gitStdin(t, dir, "100644 blob "+blob+"\tconfig\n", "mktree"))
		top := strings.TrimSpace(gitStdin(t, dir, "100644 blob "+blob+"\tok.txt\n040000 tree "+sub+"\t"+name+"\n", "mktree"))
		c := strings.TrimSpace(git(t, dir, "commit-tree", top, "-p", first, "-m", "hostile tree"))
		out, err := gitRun(t, dir, "push", a.remote(s), c+":refs/heads/main")
		if err == nil {
			t.Errorf("git push of a tree with %q: accepted:\n%s", name, redact(out))
		}
	}
	if head := s.remoteHead(t, a); head != first {
		t.Fatalf("main moved to %s after refused pushes, want %s", head, first)
	}
	// A fair commit: every path acknowledged is in the tree.
	fair := []string{"a/.gitmodules.txt", "console.log", ".gitattributes", "ünï/ファイル.txt", "my notes (v2).txt"}
	var ops []map[string]any
	for _, p := range fair {
		ops = append(ops, fileOp(p, p+"\n"))
	}
	st, id, msg := s.commitAPI(t, a, "main", append([]map[string]any{header("Fair", first)}, ops...)...)
	if st != 200 {
		t.Fatalf("fair commit: %d %s", st, msg)
	}
	git(t, dir, "fetch", "-q", a.remote(s), "main")
	ls := git(t, dir, "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", id)
	for _, p := range fair {
		if !strings.Contains(ls, p+"\n") {
			t.Errorf("commit %s lacks %q:\n%s", id, p, ls)
		}
	}
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=/bin/false", "HOME="+dir)
	return cmd
}

func gitStdin(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := gitCmd(dir, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", args[0], err, out)
	}
	return string(out)
}

// TestConcurrentCommitsAreNotDenied (invariant 7): six commit-API calls
// racing without a parent all succeed (each retried on the new tip) and
// every file is in the final tree; two racing on the same stated parent
// give one 200 and one 412; none answers 403 or 500.
func TestConcurrentCommitsAreNotDenied(t *testing.T) {
	s := needStack(t)
	a := s.privateAccount(t)
	st, first, msg := s.commitAPI(t, a, "main", header("First", ""), fileOp("base.txt", "base\n"))
	if st != 200 {
		t.Fatalf("first commit: %d %s", st, msg)
	}
	const n = 6
	var wg sync.WaitGroup
	status := make([]int, n)
	msgs := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i], _, msgs[i] = s.commitAPI(t, a, "main", header(fmt.Sprintf("Racer %d", i), ""), fileOp(fmt.Sprintf("racer-%d.txt", i), "r\n"))
		}()
	}
	wg.Wait()
	for i := range n {
		if status[i] != 200 {
			t.Errorf("racer %d: %d %s, want 200", i, status[i], msgs[i])
		}
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	git(t, dir, "config", a.headerKey(s), a.authHeader())
	git(t, dir, "fetch", "-q", a.remote(s), "main")
	ls := git(t, dir, "ls-tree", "-r", "--name-only", "FETCH_HEAD")
	for i := range n {
		if !strings.Contains(ls, fmt.Sprintf("racer-%d.txt\n", i)) {
			t.Errorf("racer-%d.txt is not in the final tree:\n%s", i, ls)
		}
	}
	if c := strings.Count(git(t, dir, "rev-list", "FETCH_HEAD"), "\n"); c != n+1 {
		t.Errorf("main has %d commits, want %d", c, n+1)
	}
	// Two racing on the same stated parent: exactly one wins.
	tip := s.remoteHead(t, a)
	var two [2]int
	var twoMsg [2]string
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			two[i], _, twoMsg[i] = s.commitAPI(t, a, "main", header("Stated", tip), fileOp(fmt.Sprintf("stated-%d.txt", i), "s\n"))
		}()
	}
	wg.Wait()
	if !(two[0] == 200 && two[1] == 412 || two[0] == 412 && two[1] == 200) {
		t.Errorf("two commits on the same parent: %v %q, want one 200 and one 412", two, twoMsg)
	}
	_ = first
}
