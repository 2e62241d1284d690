package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

func TestRepoFromDir(t *testing.T) {
	tests := []struct {
		dir  string
		want githook.Repo
		ok   bool
	}{
		{"/srv/git/alice/bert.git", githook.Repo{Type: "model", Namespace: "alice", Name: "bert"}, true},
		{"/srv/git/datasets/alice/squad.git", githook.Repo{Type: "dataset", Namespace: "alice", Name: "squad"}, true},
		{"/srv/git/spaces/acme/demo.git", githook.Repo{Type: "space", Namespace: "acme", Name: "demo"}, true},
		{"/srv/git/alice.git", githook.Repo{}, false},
		{"/srv/git/wikis/a/b.git", githook.Repo{}, false},
		{"/elsewhere/alice/bert.git", githook.Repo{}, false},
	}
	for _, tt := range tests {
		got, err := repoFromDir("/srv/git", tt.dir)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("repoFromDir(%q) = %+v, %v; want %+v, ok %v", tt.dir, got, err, tt.want, tt.ok)
		}
	}
}

func TestParsePointer(t *testing.T) {
	oid := strings.Repeat("a1", 32)
	good := "version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize 12345\n"
	if p := parsePointer([]byte(good)); p == nil || p.OID != oid || p.Size != 12345 {
		t.Errorf("pointer: got %+v", p)
	}
	for _, bad := range []string{
		"", "hello\n",
		"version https://git-lfs.github.com/spec/v1\noid sha256:" + strings.ToUpper(oid) + "\nsize 1\n",
		"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n",
		"version https://git-lfs.github.com/spec/v1\noid sha256:" + oid + "\nsize x\n",
	} {
		if p := parsePointer([]byte(bad)); p != nil {
			t.Errorf("parsePointer(%q) = %+v, want nil", bad, p)
		}
	}
}

func TestRefusalLinesNameEveryObject(t *testing.T) {
	lines := strings.Join(githook.RefusalLines(githook.PreReceiveResponse{Rejected: []githook.Rejected{
		{ObjectID: "aaa", Kind: "commit", Status: "unsigned", Reason: "unsigned"},
		{ObjectID: "bbb", Kind: "tag", Status: "unverified", Reason: "unknown_key"},
	}}), "\n")
	for _, want := range []string{"commit aaa: unsigned (unsigned)", "tag bbb: unverified (unknown_key)", "not uploaded"} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in\n%s", want, lines)
		}
	}
}

// TestPreReceiveFailsClosed runs the hook in a real repository whose
// trust service cannot be reached: exit 1 with the reason.
func TestPreReceiveFailsClosed(t *testing.T) {
	testenv.RequireTool(t, "git")
	root := t.TempDir()
	bare := filepath.Join(root, "alice", "bert.git")
	run := func(dir string, args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	run(root, "init", "-q", "--bare", bare)
	run(bare, "config", "trustlayer.commitsFunction", "CommitsFunction")
	run(bare, "config", "trustlayer.lambdaEndpoint", "http://127.0.0.1:1")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_PROJECT_ROOT", root)
	t.Setenv("REMOTE_USER", "alice")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Chdir(bare)
	zero := strings.Repeat("0", 40)
	var stderr bytes.Buffer
	// Without its hook key the git server cannot sign its call: refused.
	if code := runHook([]string{"pre-receive"}, strings.NewReader(zero+" "+zero+" refs/heads/main\n"), &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "push refused") || !strings.Contains(stderr.String(), "hookSecretFile") {
		t.Errorf("no hook key: got exit %d, %q; want 1 naming trustlayer.hookSecretFile", code, stderr.String())
	}
	stderr.Reset()
	keyFile := filepath.Join(root, "hook-secret")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("k", 40)), 0o600); err != nil {
		t.Fatal(err)
	}
	run(bare, "config", "trustlayer.hookSecretFile", keyFile)
	code := runHook([]string{"pre-receive"}, strings.NewReader(zero+" "+zero+" refs/heads/main\n"), &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "push refused: the trust service cannot be reached") {
		t.Errorf("got exit %d, %q; want 1 saying the service cannot be reached", code, stderr.String())
	}
	stderr.Reset()
	t.Setenv("REMOTE_USER", "")
	if code := runHook([]string{"pre-receive"}, strings.NewReader(""), &stderr); code != 1 || !strings.Contains(stderr.String(), "REMOTE_USER") {
		t.Errorf("no pusher: got exit %d, %q; want 1", code, stderr.String())
	}
}

// TestPreReceiveRefusesAmbiguousRefNames: a push creating or moving a
// branch or tag named as a full commit id, HEAD or refs/... is refused
// before any call (no pusher or configuration needed), naming the ref; a
// deletion of such a ref, and ordinary names, are not refused by it.
func TestPreReceiveRefusesAmbiguousRefNames(t *testing.T) {
	id, zero := strings.Repeat("ab", 20), strings.Repeat("0", 40)
	for _, ref := range []string{"refs/heads/" + strings.Repeat("c", 40), "refs/tags/" + strings.Repeat("D", 64),
		"refs/heads/HEAD", "refs/heads/refs/heads/main", "refs/replace/" + id} {
		var stderr bytes.Buffer
		err := preReceive(t.Context(), strings.NewReader(zero+" "+id+" "+ref+"\n"), &stderr)
		if err != errRefused || !strings.Contains(stderr.String(), ref) {
			t.Errorf("%s: %v, %q", ref, err, stderr.String())
		}
	}
	if lines := refNameRefusals([]githook.RefUpdate{{Old: id, New: zero, Ref: "refs/heads/" + strings.Repeat("c", 40)},
		{Old: zero, New: id, Ref: "refs/heads/main"}, {Old: zero, New: id, Ref: "refs/pr/3"}}); lines != nil {
		t.Errorf("refused %q", lines)
	}
}

// TestHooksReadObjectsNotTheirReplacements (invariant 2): with a replace
// ref in the repository (made before pushes of refs/replace/ were
// refused), the hooks' git processes read a commit's own tree, not its
// replacement's: runHook sets GIT_NO_REPLACE_OBJECTS for every hook.
func TestHooksReadObjectsNotTheirReplacements(t *testing.T) {
	testenv.RequireTool(t, "git")
	t.Setenv("GIT_NO_REPLACE_OBJECTS", "") // restored after the test
	os.Unsetenv("GIT_NO_REPLACE_OBJECTS")  // git disables replacing when it is set at all
	dir := t.TempDir()
	run := gitIn(t, dir)
	run("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("signed content\n"), 0o644)
	run("add", "-A")
	run("commit", "-q", "-m", "a")
	a, aTree := run("rev-parse", "HEAD"), run("rev-parse", "HEAD^{tree}")
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("other content\n"), 0o644)
	run("commit", "-q", "-a", "-m", "b")
	run("replace", a, run("rev-parse", "HEAD"))
	t.Chdir(dir)
	if commits, _, _, err := listTrees([]string{a}); err != nil || commits[0].Tree == aTree {
		t.Fatalf("without the hook's setting git reads the replacement (%v %v): the test shows nothing", commits, err)
	}
	runHook([]string{"githook", "no-such-hook"}, strings.NewReader(""), io.Discard)
	commits, _, _, err := listTrees([]string{a})
	if err != nil || commits[0].Tree != aTree {
		t.Errorf("commit %s listed with tree %v (%v), want its own %s", a[:7], commits, err, aTree)
	}
}

// TestListTrees: every tree of a commit once by id, with its entries;
// two folders with the same content are one tree listed once, named by
// both parents; blob ids once each.
func TestListTrees(t *testing.T) {
	testenv.RequireTool(t, "git")
	dir := t.TempDir()
	run := gitIn(t, dir)
	run("init", "-q", "-b", "main")
	for p, c := range map[string]string{"a/x/f.txt": "same\n", "b/x/f.txt": "same\n", "a/g.txt": "g\n", "top.txt": "top\n"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
	}
	run("add", "-A")
	run("commit", "-q", "-m", "c")
	head := run("rev-parse", "HEAD")
	t.Chdir(dir)
	commits, trees, blobs, err := listTrees([]string{head, head})
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 2 || commits[0].Tree != run("rev-parse", "HEAD^{tree}") {
		t.Fatalf("commits %+v", commits)
	}
	byID := map[string]githook.Tree{}
	for _, tr := range trees {
		if _, dup := byID[tr.ID]; dup {
			t.Fatalf("tree %s listed twice", tr.ID)
		}
		byID[tr.ID] = tr
	}
	// root, a, b, and x once (a/x and b/x are the same tree).
	if len(trees) != 4 || len(blobs) != 3 {
		t.Fatalf("got %d trees, %d blobs; want 4 and 3: %+v", len(trees), len(blobs), trees)
	}
	for _, name := range []string{"a", "b"} {
		id := run("rev-parse", "HEAD:"+name)
		names := []string{}
		for _, e := range byID[id].Entries {
			names = append(names, e.Name+":"+e.Mode)
		}
		want := "[x:040000]"
		if name == "a" {
			want = "[g.txt:100644 x:040000]"
		}
		if fmt.Sprint(names) != want {
			t.Errorf("tree %s: %v, want %s", name, names, want)
		}
	}
	x := byID[run("rev-parse", "HEAD:a/x")]
	if len(x.Entries) != 1 || x.Entries[0].ID != run("rev-parse", "HEAD:a/x/f.txt") || x.Entries[0].Size != 5 {
		t.Errorf("tree x: %+v", x.Entries)
	}
}

// TestPeelCommitsAgreesWithRevParse: post-receive's one cat-file for all
// the pushed tips peels each as `git rev-parse --verify <id>^{commit}`
// does: a commit is itself, an annotated tag (and a tag of a tag) its
// commit; a tag of a tree and a missing object name no commit.
func TestPeelCommitsAgreesWithRevParse(t *testing.T) {
	testenv.RequireTool(t, "git")
	dir := t.TempDir()
	run := gitIn(t, dir)
	run("init", "-q", "--bare")
	tree := run("hash-object", "-t", "tree", "-w", "/dev/null")
	c := run("commit-tree", tree, "-m", "c")
	run("update-ref", "refs/heads/main", c)
	run("tag", "-a", "-m", "t", "t", c)
	run("tag", "-a", "-m", "tt", "tt", "t")
	run("tag", "-a", "-m", "tree", "ttree", tree)
	ids := []string{c, run("rev-parse", "t"), run("rev-parse", "tt"), run("rev-parse", "ttree"), strings.Repeat("e", 40), c}
	t.Chdir(dir)
	got, err := peelCommits(ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		want := ""
		if out, err := gitOut(nil, "rev-parse", "--verify", "--quiet", id+"^{commit}"); err == nil {
			want = strings.TrimSpace(string(out))
		}
		if got[id] != want {
			t.Errorf("%s peels to %q, git rev-parse says %q", id, got[id], want)
		}
	}
	if got[ids[2]] != c || got[ids[3]] != "" {
		t.Errorf("peeled %v: want the tag of a tag at %s and nothing for the tag of a tree", got, c)
	}
}
