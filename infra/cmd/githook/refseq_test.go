package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// numberUpdates runs the installed reference-transaction script in state
// for the git dir gitDir with updates on its standard input.
func numberUpdates(t *testing.T, gitDir, state string, updates []githook.RefUpdate) string {
	t.Helper()
	var in bytes.Buffer
	for _, u := range updates {
		fmt.Fprintf(&in, "%s %s %s\n", u.Old, u.New, u.Ref)
	}
	cmd := exec.Command("sh", "-c", referenceTransactionScript, "reference-transaction", state)
	cmd.Env = append(os.Environ(), "GIT_DIR="+gitDir)
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("reference-transaction %s: %v %s", state, err, out)
	}
	return string(out)
}

// TestRefSeqNumbersInOrder: each update gets a larger number than every
// earlier one, updates of one transaction consecutive ones; the same
// move made twice (A→B, B→A, A→B) answers the newer number; the other
// states number nothing; the file keeps the last refSeqKeep lines and
// goes on counting; a torn last line (a crash while writing) does not
// make the count go back.
func TestRefSeqNumbersInOrder(t *testing.T) {
	testenv.RequireTool(t, "flock")
	dir := t.TempDir()
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	ab := githook.RefUpdate{Old: a, New: b, Ref: "refs/heads/main"}
	ba := githook.RefUpdate{Old: b, New: a, Ref: "refs/heads/main"}
	bc := githook.RefUpdate{Old: b, New: c, Ref: "refs/heads/side"}
	numberUpdates(t, dir, "prepared", []githook.RefUpdate{ab})
	first, _ := updateSeqs(dir)
	for _, us := range [][]githook.RefUpdate{{ba, bc}, {ab}} {
		numberUpdates(t, dir, "prepared", us)
		numberUpdates(t, dir, "committed", us)
	}
	numberUpdates(t, dir, "aborted", []githook.RefUpdate{bc})
	got, err := updateSeqs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[ba] <= first[ab] || got[bc] != got[ba]+1 || got[ab] <= got[bc] {
		t.Errorf("numbers: %v (first A→B %d), want A→B < B→A, B→C = B→A+1 < A→B again", got, first[ab])
	}
	last := got[ab]
	many := make([]githook.RefUpdate, refSeqKeep)
	for i := range many {
		many[i] = bc
	}
	numberUpdates(t, dir, "prepared", many)
	got, _ = updateSeqs(dir)
	if got[bc] <= last+refSeqKeep-1 || got[ab] != 0 {
		t.Errorf("after %d more: %v, want B→C over %d and A→B gone", refSeqKeep, got, last+refSeqKeep-1)
	}
	path := filepath.Join(dir, refSeqFile)
	raw, _ := os.ReadFile(path)
	if n := strings.Count(string(raw), "\n"); n != refSeqKeep {
		t.Errorf("file keeps %d lines, want %d", n, refSeqKeep)
	}
	// A line whose number is far ahead of the clock, then a torn one
	// (a file written by a crashed writer): the torn line is skipped and
	// the count goes on from the largest number in the file.
	ahead := got[bc] + 1e12
	os.WriteFile(path, append(raw, []byte(fmt.Sprintf("%d %s %s refs/heads/x\n%d %s", ahead, a, c, ahead+5, a))...), 0o644)
	numberUpdates(t, dir, "prepared", []githook.RefUpdate{ab})
	if got, _ = updateSeqs(dir); got[ab] != ahead+1 {
		t.Errorf("after a torn line: A→B %d, want %d", got[ab], ahead+1)
	}
}

// TestRefSeqKeepsGrowingWhenTheFileIsLost: numbers are never below the
// clock (microseconds), so after the numbers file is lost (a folder
// restored from an older copy) the next update still gets a larger number
// than any the index stored, and the ref is not stuck.
func TestRefSeqKeepsGrowingWhenTheFileIsLost(t *testing.T) {
	testenv.RequireTool(t, "flock")
	dir := t.TempDir()
	u := githook.RefUpdate{Old: strings.Repeat("a", 40), New: strings.Repeat("b", 40), Ref: "refs/heads/main"}
	before := time.Now().UnixMicro()
	numberUpdates(t, dir, "prepared", []githook.RefUpdate{u})
	after := time.Now().UnixMicro()
	got, _ := updateSeqs(dir)
	first := got[u]
	if first < before || first > after {
		t.Errorf("first number %d, want the clock's, between %d and %d", first, before, after)
	}
	os.Remove(filepath.Join(dir, refSeqFile))
	numberUpdates(t, dir, "prepared", []githook.RefUpdate{u})
	if got, _ = updateSeqs(dir); got[u] <= first {
		t.Errorf("after the file was lost: %d, want more than %d", got[u], first)
	}
}

// TestRefSeqConcurrent: updates numbered at once by many hooks (git holds
// a different ref's lock for each) get distinct numbers, none lost.
func TestRefSeqConcurrent(t *testing.T) {
	testenv.RequireTool(t, "flock")
	dir := t.TempDir()
	const n = 24
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			numberUpdates(t, dir, "prepared", []githook.RefUpdate{{Old: strings.Repeat("0", 40), New: strings.Repeat("a", 40), Ref: fmt.Sprintf("refs/heads/b%d", i)}})
		}()
	}
	wg.Wait()
	got, err := updateSeqs(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, s := range got {
		seen[s] = true
	}
	if len(got) != n || len(seen) != n {
		t.Errorf("%d updates numbered, %d distinct numbers, want %d: %v", len(got), len(seen), n, got)
	}
}

// TestInstalledHooksNumberAPush: the hooks `githook install` writes, run
// by git for real pushes: git 2.39 runs reference-transaction in the
// prepared state with "<old> <new> <ref>", and each push's update of
// main gets the next number. The e2e test TestInvariantRefsNeverGoBackwards
// runs them in the stack.
func TestInstalledHooksNumberAPush(t *testing.T) {
	testenv.RequireTool(t, "git")
	testenv.RequireTool(t, "flock")
	dir := t.TempDir()
	hooks := filepath.Join(dir, "hooks")
	if err := install(hooks, os.Stderr); err != nil {
		t.Fatal(err)
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
	os.Mkdir(filepath.Join(dir, refSeqFile), 0o755)
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
	os.Mkdir(filepath.Join(srv, refSeqFile), 0o755)
	out, err := run("-C", work, "push", srv, "main")
	if err == nil || !strings.Contains(string(out), "could not be numbered") {
		t.Errorf("push with the numbers file unwritable: %v\n%s\nwant refused, saying why", err, out)
	}
	if out, err := run("-C", srv, "rev-parse", "--verify", "--quiet", "refs/heads/main"); err == nil {
		t.Errorf("main exists on the server after the refused push: %s", out)
	}
	os.Remove(filepath.Join(srv, refSeqFile))
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
