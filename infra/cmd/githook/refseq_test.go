package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/githook"
)

// TestRefSeqNumbersInOrder: each update gets the next number; the same
// move made twice (A→B, B→A, A→B) answers the newer number; the file
// keeps the last refSeqKeep lines and goes on counting.
func TestRefSeqNumbersInOrder(t *testing.T) {
	dir := t.TempDir()
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	ab := githook.RefUpdate{Old: a, New: b, Ref: "refs/heads/main"}
	ba := githook.RefUpdate{Old: b, New: a, Ref: "refs/heads/main"}
	bc := githook.RefUpdate{Old: b, New: c, Ref: "refs/heads/side"}
	for _, us := range [][]githook.RefUpdate{{ab}, {ba, bc}, {ab}} {
		if err := numberUpdates(dir, us); err != nil {
			t.Fatal(err)
		}
	}
	got, err := updateSeqs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got[ab] != 4 || got[ba] != 2 || got[bc] != 3 {
		t.Errorf("numbers: %v, want A→B 4, B→A 2, B→C 3", got)
	}
	for i := 0; i < refSeqKeep; i++ {
		if err := numberUpdates(dir, []githook.RefUpdate{bc}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = updateSeqs(dir)
	if got[bc] != 4+refSeqKeep || got[ab] != 0 {
		t.Errorf("after %d more: %v, want B→C %d and A→B gone", refSeqKeep, got, 4+refSeqKeep)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, refSeqFile))
	if n := strings.Count(string(raw), "\n"); n != refSeqKeep {
		t.Errorf("file keeps %d lines, want %d", n, refSeqKeep)
	}
}

// TestReferenceTransactionHookInput: git runs a reference-transaction
// hook in the "prepared" state for a push's ref update, with the input
// readUpdates reads ("<old> <new> <ref>"). A shell hook captures it here;
// the e2e test TestInvariantRefsNeverGoBackwards runs the real one.
func TestReferenceTransactionHookInput(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not on PATH")
	}
	dir := t.TempDir()
	hooks := filepath.Join(dir, "hooks")
	os.MkdirAll(hooks, 0o755)
	capture := filepath.Join(dir, "captured")
	script := "#!/bin/sh\n[ \"$1\" = prepared ] && cat >>" + capture + " || cat >/dev/null\n"
	if err := os.WriteFile(filepath.Join(hooks, "reference-transaction"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "w")
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q", "-b", "main", work)
	run("-C", work, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-q", "--allow-empty", "-m", "one")
	run("init", "-q", "--bare", "srv.git")
	run("-C", "srv.git", "config", "core.hooksPath", hooks)
	run("-C", work, "push", "-q", filepath.Join(dir, "srv.git"), "main")
	raw, err := os.ReadFile(capture)
	if err != nil {
		t.Fatalf("git ran no reference-transaction hook in the prepared state: %v", err)
	}
	us, err := readUpdates(strings.NewReader(string(raw)))
	if err != nil || len(us) != 1 || us[0].Ref != "refs/heads/main" || !githook.ZeroID(us[0].Old) {
		t.Errorf("prepared input %q: %+v %v, want the creation of refs/heads/main", raw, us, err)
	}
}
