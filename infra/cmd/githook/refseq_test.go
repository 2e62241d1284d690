package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		if err := numberUpdates(dir, us, time.Time{}); err != nil {
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
		if err := numberUpdates(dir, []githook.RefUpdate{bc}, time.Time{}); err != nil {
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

// TestRefSeqKeepsGrowingWhenTheFileIsLost: numbers are never below the
// clock (microseconds), so after the numbers file is lost (a folder
// restored from an older copy) the next update still gets a larger number
// than any the index stored, and the ref is not stuck.
func TestRefSeqKeepsGrowingWhenTheFileIsLost(t *testing.T) {
	dir := t.TempDir()
	u := githook.RefUpdate{Old: strings.Repeat("a", 40), New: strings.Repeat("b", 40), Ref: "refs/heads/main"}
	v := githook.RefUpdate{Old: strings.Repeat("b", 40), New: strings.Repeat("c", 40), Ref: "refs/heads/main"}
	t0 := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	seq := func(up githook.RefUpdate, at time.Time) int64 {
		t.Helper()
		if err := numberUpdates(dir, []githook.RefUpdate{up}, at); err != nil {
			t.Fatal(err)
		}
		got, err := updateSeqs(dir)
		if err != nil {
			t.Fatal(err)
		}
		return got[up]
	}
	first := seq(u, t0)
	if first != t0.UnixMicro() {
		t.Errorf("first number %d, want the clock's %d", first, t0.UnixMicro())
	}
	if second := seq(v, t0); second != first+1 {
		t.Errorf("a second update at the same instant: %d, want %d", second, first+1)
	}
	os.Remove(filepath.Join(dir, refSeqFile))
	if again := seq(u, t0.Add(time.Millisecond)); again <= first+1 {
		t.Errorf("after the file was lost: %d, want more than %d", again, first+1)
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
