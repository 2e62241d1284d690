package refseq

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// numberUpdates runs the hook in state for the git dir gitDir with
// updates on its standard input, as git runs it.
func numberUpdates(t *testing.T, gitDir, state string, updates []Update) {
	t.Helper()
	var in, stderr bytes.Buffer
	for _, u := range updates {
		fmt.Fprintf(&in, "%s %s %s\n", u.Old, u.New, u.Ref)
	}
	if code := Hook([]string{state}, &in, &stderr, gitDir); code != 0 {
		t.Fatalf("reference-transaction %s: exit %d %s", state, code, stderr.String())
	}
}

// TestRefSeqNumbersInOrder: each update gets a larger number than every
// earlier one, updates of one transaction consecutive ones; the same
// move made twice (A→B, B→A, A→B) answers the newer number; the other
// states number nothing; the file keeps the last Keep lines and
// goes on counting; a torn last line (a crash while writing) does not
// make the count go back.
func TestRefSeqNumbersInOrder(t *testing.T) {
	dir := t.TempDir()
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	ab := Update{Old: a, New: b, Ref: "refs/heads/main"}
	ba := Update{Old: b, New: a, Ref: "refs/heads/main"}
	bc := Update{Old: b, New: c, Ref: "refs/heads/side"}
	numberUpdates(t, dir, "prepared", []Update{ab})
	first, _ := Read(dir)
	for _, us := range [][]Update{{ba, bc}, {ab}} {
		numberUpdates(t, dir, "prepared", us)
		numberUpdates(t, dir, "committed", us)
	}
	numberUpdates(t, dir, "aborted", []Update{bc})
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[ba] <= first[ab] || got[bc] != got[ba]+1 || got[ab] <= got[bc] {
		t.Errorf("numbers: %v (first A→B %d), want A→B < B→A, B→C = B→A+1 < A→B again", got, first[ab])
	}
	last := got[ab]
	many := make([]Update, Keep)
	for i := range many {
		many[i] = bc
	}
	numberUpdates(t, dir, "prepared", many)
	got, _ = Read(dir)
	if got[bc] <= last+Keep-1 || got[ab] != 0 {
		t.Errorf("after %d more: %v, want B→C over %d and A→B gone", Keep, got, last+Keep-1)
	}
	path := filepath.Join(dir, File)
	raw, _ := os.ReadFile(path)
	if n := strings.Count(string(raw), "\n"); n != Keep {
		t.Errorf("file keeps %d lines, want %d", n, Keep)
	}
	// A line whose number is far ahead of the clock, then a torn one
	// (a file written by a crashed writer): the torn line is skipped and
	// the count goes on from the largest number in the file.
	ahead := got[bc] + 1e12
	os.WriteFile(path, append(raw, []byte(fmt.Sprintf("%d %s %s refs/heads/x\n%d %s", ahead, a, c, ahead+5, a))...), 0o644)
	numberUpdates(t, dir, "prepared", []Update{ab})
	if got, _ = Read(dir); got[ab] != ahead+1 {
		t.Errorf("after a torn line: A→B %d, want %d", got[ab], ahead+1)
	}
}

// TestRefSeqKeepsGrowingWhenTheFileIsLost: numbers are never below the
// clock (microseconds), so after the numbers file is lost (a folder
// restored from an older copy) the next update still gets a larger number
// than any the index stored, and the ref is not stuck.
func TestRefSeqKeepsGrowingWhenTheFileIsLost(t *testing.T) {
	dir := t.TempDir()
	u := Update{Old: strings.Repeat("a", 40), New: strings.Repeat("b", 40), Ref: "refs/heads/main"}
	before := time.Now().UnixMicro()
	numberUpdates(t, dir, "prepared", []Update{u})
	after := time.Now().UnixMicro()
	got, _ := Read(dir)
	first := got[u]
	if first < before || first > after {
		t.Errorf("first number %d, want the clock's, between %d and %d", first, before, after)
	}
	os.Remove(filepath.Join(dir, File))
	numberUpdates(t, dir, "prepared", []Update{u})
	if got, _ = Read(dir); got[u] <= first {
		t.Errorf("after the file was lost: %d, want more than %d", got[u], first)
	}
}

// TestRefSeqConcurrent: updates numbered at once by many hooks (git holds
// a different ref's lock for each) get distinct numbers, none lost.
func TestRefSeqConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 24
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			numberUpdates(t, dir, "prepared", []Update{{Old: strings.Repeat("0", 40), New: strings.Repeat("a", 40), Ref: fmt.Sprintf("refs/heads/b%d", i)}})
		}()
	}
	wg.Wait()
	got, err := Read(dir)
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

// TestHookFailsClosedAndChangesNothing: an update the hook cannot number
// (a line that is not three fields, the numbers file a folder) is refused
// with the message the pusher reads, and the numbers file is left as it
// was; the other states do nothing and succeed.
func TestHookFailsClosedAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	u := Update{Old: strings.Repeat("a", 40), New: strings.Repeat("b", 40), Ref: "refs/heads/main"}
	numberUpdates(t, dir, "prepared", []Update{u})
	before, _ := os.ReadFile(filepath.Join(dir, File))
	for _, in := range []string{"not three fields here\n", u.Old + " " + u.New + " refs/heads/x\n\n", u.Old + " " + u.New + "\n"} {
		var stderr bytes.Buffer
		if code := Hook([]string{"prepared"}, strings.NewReader(in), &stderr, dir); code != 1 || !strings.Contains(stderr.String(), Refused) {
			t.Errorf("input %q: exit %d, %q; want 1 and the refusal", in, code, stderr.String())
		}
		if after, _ := os.ReadFile(filepath.Join(dir, File)); !bytes.Equal(after, before) {
			t.Errorf("input %q changed the numbers file:\n%s", in, after)
		}
	}
	for _, state := range []string{"committed", "aborted"} {
		if code := Hook([]string{state}, strings.NewReader("garbage\n"), &bytes.Buffer{}, dir); code != 0 {
			t.Errorf("%s: exit %d, want 0", state, code)
		}
	}
	folder := t.TempDir()
	os.Mkdir(filepath.Join(folder, File), 0o755)
	var stderr bytes.Buffer
	if code := Hook([]string{"prepared"}, strings.NewReader(u.Old+" "+u.New+" "+u.Ref+"\n"), &stderr, folder); code != 1 || !strings.Contains(stderr.String(), Refused) {
		t.Errorf("numbers file a folder: exit %d, %q; want 1 and the refusal", code, stderr.String())
	}
}
