package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/refseq"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestInstalledHooksNumberAPush: the hooks `githook install` writes, run
// by git for real pushes: reference-transaction is githook-ref (built
// here, beside where githook would be), git 2.39 runs it in the prepared
// state with "<old> <new> <ref>", and each push's update of main gets the
// next number. The e2e test TestInvariantRefsNeverGoBackwards runs them
// in the stack.
func TestInstalledHooksNumberAPush(t *testing.T) {
	testenv.RequireTool(t, "git")
	testenv.RequireTool(t, "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "githook-ref"), "../githook-ref").CombinedOutput(); err != nil {
		t.Fatalf("go build githook-ref: %v\n%s", err, out)
	}
	hooks := filepath.Join(dir, "hooks")
	if err := installFor(filepath.Join(bin, "githook"), hooks, os.Stderr); err != nil {
		t.Fatal(err)
	}
	if script, err := os.ReadFile(filepath.Join(hooks, "reference-transaction")); err != nil || !strings.Contains(string(script), filepath.Join(bin, "githook-ref")) {
		t.Fatalf("reference-transaction %q (%v), want it to run githook-ref", script, err)
	}
	// Only reference-transaction here: pre-receive and post-receive
	// need the stack.
	os.Remove(filepath.Join(hooks, "pre-receive"))
	os.Remove(filepath.Join(hooks, "post-receive"))
	work := filepath.Join(dir, "w")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main", work)
	run("init", "-q", "--bare", "srv.git")
	run("-C", "srv.git", "config", "core.hooksPath", hooks)
	var tips []string
	for _, m := range []string{"one", "two"} {
		run("-C", work, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-q", "--allow-empty", "-m", m)
		run("-C", work, "push", "-q", filepath.Join(dir, "srv.git"), "main")
		tips = append(tips, run("-C", work, "rev-parse", "HEAD"))
	}
	got, err := updateSeqs(filepath.Join(dir, "srv.git"))
	if err != nil {
		t.Fatal(err)
	}
	zero := strings.Repeat("0", 40)
	first := githook.RefUpdate{Old: zero, New: tips[0], Ref: "refs/heads/main"}
	second := githook.RefUpdate{Old: tips[0], New: tips[1], Ref: "refs/heads/main"}
	if got[first] == 0 || got[second] <= got[first] || len(got) != 2 {
		t.Errorf("numbers %v, want the creation of main numbered, then its move larger", got)
	}
}

// TestReferenceTransactionFailsClosed: when the update cannot be numbered
// (here the numbers file is a folder), the hook says so and fails, and
// real git then aborts the push: the ref does not move on the server.
// Once numbering works, the same push goes through, numbered.
func TestReferenceTransactionFailsClosed(t *testing.T) {
	var stderr bytes.Buffer
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, refseq.File), 0o755)
	t.Setenv("GIT_DIR", dir)
	in := strings.Repeat("0", 40) + " " + strings.Repeat("b", 40) + " refs/heads/main\n"
	if code := runHook([]string{"reference-transaction", "prepared"}, strings.NewReader(in), &stderr); code == 0 || !strings.Contains(stderr.String(), "could not be numbered") {
		t.Errorf("unnumberable update: exit %d, %q; want a refusal saying why", code, stderr.String())
	}
	if code := runHook([]string{"reference-transaction", "committed"}, strings.NewReader(in), &stderr); code != 0 {
		t.Errorf("the committed state: exit %d, want 0 (only prepared can refuse)", code)
	}
	if code := runHook([]string{"reference-transaction", "prepared"}, strings.NewReader("not three fields\n"), &stderr); code == 0 {
		t.Error("unreadable input: exit 0, want a refusal")
	}

	// git itself: a hook failing in the prepared state aborts the push.
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not on PATH")
	}
	hooks := filepath.Join(dir, "hooks")
	os.MkdirAll(hooks, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nGITHOOK_AS_REFERENCE_TRANSACTION=1 exec %q -test.run=TestHelperReferenceTransaction -- \"$@\"\n", self)
	if err := os.WriteFile(filepath.Join(hooks, "reference-transaction"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GIT_DIR=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
		return cmd.CombinedOutput()
	}
	must := func(args ...string) {
		t.Helper()
		if out, err := run(args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	work, srv := filepath.Join(dir, "w"), filepath.Join(dir, "srv.git")
	must("init", "-q", "-b", "main", work)
	must("-C", work, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-q", "--allow-empty", "-m", "one")
	must("init", "-q", "--bare", srv)
	must("-C", srv, "config", "core.hooksPath", hooks)
	os.Mkdir(filepath.Join(srv, refseq.File), 0o755)
	out, err := run("-C", work, "push", srv, "main")
	if err == nil || !strings.Contains(string(out), "could not be numbered") {
		t.Errorf("push with the numbers file unwritable: %v\n%s\nwant refused, saying why", err, out)
	}
	if out, err := run("-C", srv, "rev-parse", "--verify", "--quiet", "refs/heads/main"); err == nil {
		t.Errorf("main exists on the server after the refused push: %s", out)
	}
	os.Remove(filepath.Join(srv, refseq.File))
	must("-C", work, "push", "-q", srv, "main")
	got, err := updateSeqs(srv)
	if err != nil || len(got) != 1 {
		t.Errorf("after the push went through: numbers %v %v, want main's creation numbered", got, err)
	}
}

// TestHelperReferenceTransaction is the reference-transaction hook when
// the test binary is run as one (TestReferenceTransactionFailsClosed).
func TestHelperReferenceTransaction(t *testing.T) {
	if os.Getenv("GITHOOK_AS_REFERENCE_TRANSACTION") != "1" {
		return
	}
	args := []string{"reference-transaction"}
	for i, a := range os.Args {
		if a == "--" {
			args = append(args, os.Args[i+1:]...)
			break
		}
	}
	os.Exit(runHook(args, os.Stdin, os.Stderr))
}
