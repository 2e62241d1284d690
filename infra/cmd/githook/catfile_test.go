package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestNewObjectsThroughOneCatFile: the commits a ref update brings, the
// tag a tip names (peeled to its commit) and the new blobs and trees with
// their paths, all read through one cat-file process, which answers
// rounds larger than its pipes (a 300 KB blob, 2,000 names) and refuses a
// name that is no object.
func TestNewObjectsThroughOneCatFile(t *testing.T) {
	testenv.RequireTool(t, "git")
	dir := t.TempDir()
	run := gitIn(t, dir)
	run("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a\n"), 0o644)
	run("add", "-A")
	run("commit", "-q", "-m", "one")
	one := run("rev-parse", "HEAD")
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	big := strings.Repeat("0123456789", 30000)
	os.WriteFile(filepath.Join(dir, "d", "big.bin"), []byte(big), 0o644)
	run("add", "-A")
	run("commit", "-q", "-m", "two")
	two := run("rev-parse", "HEAD")
	run("tag", "-a", "-m", "v1", "v1")
	tag := run("rev-parse", "v1")
	// As pre-receive sees a push of two and the tag onto a repository
	// whose refs hold one.
	run("update-ref", "refs/heads/main", one)
	run("update-ref", "-d", "refs/tags/v1")
	t.Chdir(dir)
	cf, err := startCatFile()
	if err != nil {
		t.Fatal(err)
	}
	defer cf.close()
	zero := strings.Repeat("0", 40)
	ups := []githook.RefUpdate{{Old: one, New: two, Ref: "refs/heads/main"}, {Old: zero, New: tag, Ref: "refs/tags/v1"}}
	objs, blobs, err := newObjects(cf, ups, startLists(ups))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Type+":"+o.ID)
	}
	if strings.Join(got, " ") != "tag:"+tag+" commit:"+two {
		t.Errorf("objects %v, want the tag and commit two", got)
	}
	paths := map[string]bool{}
	for _, b := range blobs {
		paths[b.path] = b.tree
	}
	if len(blobs) != 3 || paths["d/big.bin"] || !paths["d"] || !paths[""] {
		t.Errorf("blobs %+v, want d/big.bin and the trees d and root", blobs)
	}
	var size int64
	err = cf.batch("contents", []string{run("rev-parse", two+":d/big.bin")}, func(_, typ string, n int64, r io.Reader) error {
		size = n
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if err != nil || size != int64(len(big)) {
		t.Errorf("big blob: %d bytes, %v", size, err)
	}
	many := make([]string, 2000)
	for i := range many {
		many[i] = one
	}
	n := 0
	if err := cf.batch("info", many, func(_, typ string, _ int64, _ io.Reader) error { n++; return nil }); err != nil || n != len(many) {
		t.Errorf("2,000 infos: %d answers, %v", n, err)
	}
	if _, err := cf.objects([]string{strings.Repeat("e", 40)}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing object: %v, want an error saying missing", err)
	}
	if _, err := cf.objects([]string{one}); err == nil {
		t.Error("a read after an error answered: the process is out of step")
	}
}

// TestWalkRangeAgreesWithRevList: where pre-receive finds an update's
// commits in memory (walkRange: every update moves an existing ref through
// commits no ref reaches), it finds what `git rev-list <new> --not <old>`
// lists; where it cannot be sure (an old commit brought back by a merge, a
// force push, a new ref) it says so, and newObjects asks rev-list: the old
// commit a merge brings back is judged either way.
func TestWalkRangeAgreesWithRevList(t *testing.T) {
	dir, run, commit, root, a, s := rangeRepo(t)
	// Refs: main at a (parent root), side at s (parent root), v1 a tag of a.
	run("tag", "-a", "-m", "v1", "v1", a)
	oldTag := run("rev-parse", "refs/tags/v1")
	// Objects pushed but no ref moved yet, as pre-receive sees them.
	b := commit("b", a)
	c := commit("c", b)
	merge := commit("merge", c, s)
	forced := commit("forced", root)
	d := commit("d", s)
	run("tag", "-a", "-f", "-m", "v1 again", "v1", c)
	newTag := run("rev-parse", "refs/tags/v1")
	run("update-ref", "refs/tags/v1", oldTag)
	t.Chdir(dir)
	zero := strings.Repeat("0", 40)
	for _, tc := range []struct {
		name    string
		updates []githook.RefUpdate
		walks   bool
	}{
		{"fast-forward", []githook.RefUpdate{{Old: a, New: c, Ref: "refs/heads/main"}}, true},
		{"two refs forward", []githook.RefUpdate{{Old: a, New: c, Ref: "refs/heads/main"}, {Old: s, New: d, Ref: "refs/heads/side"}}, true},
		{"tag moved forward", []githook.RefUpdate{{Old: oldTag, New: newTag, Ref: "refs/tags/v1"}}, false},
		{"merge brings back side", []githook.RefUpdate{{Old: a, New: merge, Ref: "refs/heads/main"}}, false},
		{"force push", []githook.RefUpdate{{Old: a, New: forced, Ref: "refs/heads/main"}}, false},
		{"new ref", []githook.RefUpdate{{Old: zero, New: c, Ref: "refs/heads/new"}}, false},
		{"delete and forward", []githook.RefUpdate{{Old: s, New: zero, Ref: "refs/heads/side"}, {Old: a, New: b, Ref: "refs/heads/main"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := rangeCommits(tc.updates)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := startCatFile()
			if err != nil {
				t.Fatal(err)
			}
			defer cf.close()
			l := startLists(tc.updates)
			if l.walk != (tc.name != "new ref") {
				t.Errorf("walk first %v, want it unless a ref is new", l.walk)
			}
			objs, _, err := newObjects(cf, tc.updates, l)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, o := range objs {
				if o.Type == "commit" {
					got[o.ID] = true
				}
			}
			// newObjects sends the range and every commit no ref reaches.
			for _, id := range want {
				if !got[id] {
					t.Errorf("commit %s of rev-list's range is not judged (got %v)", id[:7], got)
				}
			}
			// What walkRange finds with every pushed object read.
			read := map[string]githook.Object{}
			peeled := map[string]string{}
			all, err := cf.objects([]string{b, c, d, merge, forced, newTag})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range all {
				read[o.ID] = o
				if target, ok := tagTarget(o.Raw); ok && o.Type == "tag" {
					peeled[o.ID] = target
				}
			}
			walked, ok := walkRange(tc.updates, peeled, read)
			if ok != tc.walks {
				t.Errorf("walkRange sure %v, want %v", ok, tc.walks)
			}
			slices.Sort(walked)
			slices.Sort(want)
			if ok && !slices.Equal(walked, want) {
				t.Errorf("walkRange %v, rev-list %v", walked, want)
			}
		})
	}
	if _, ok := walkRange([]githook.RefUpdate{{Old: a, New: merge, Ref: "refs/heads/main"}}, nil, map[string]githook.Object{}); ok {
		t.Error("walkRange without the commits read: ok, want not sure")
	}
}

// gitIn runs git in dir with no system or global configuration and a
// fixed author, and returns its trimmed output; a failure ends the test.
func gitIn(t *testing.T, dir string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@x")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
}

// TestRangeCommitsListsEachUpdatesRange: a push of many refs (here 60 new
// tags on one commit, a merge that brings back another branch's commit,
// a new branch and a deletion) lists, for each update, what `git rev-list
// <new> --not <old or the default branch>` lists for it alone: one git
// process per distinct range, the union the same as one per update.
func TestRangeCommitsListsEachUpdatesRange(t *testing.T) {
	dir, run, commit, _, a, s := rangeRepo(t)
	b := commit("b", a)
	c := commit("c", b)
	merge := commit("merge", c, s)
	d := commit("d", s)
	zero := strings.Repeat("0", 40)
	var updates []githook.RefUpdate
	for i := range 60 {
		updates = append(updates, githook.RefUpdate{Old: zero, New: c, Ref: fmt.Sprintf("refs/tags/t%d", i)})
	}
	updates = append(updates,
		githook.RefUpdate{Old: a, New: merge, Ref: "refs/heads/main"},
		githook.RefUpdate{Old: zero, New: d, Ref: "refs/heads/new"},
		githook.RefUpdate{Old: s, New: zero, Ref: "refs/heads/side"})
	t.Chdir(dir)
	got, err := rangeCommits(updates)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, u := range updates {
		if u.New == zero {
			continue
		}
		not := u.Old
		if not == zero {
			not = a // the default branch's tip
		}
		for _, id := range strings.Fields(run("rev-list", u.New, "--not", not)) {
			want[id] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("listed %d commits, want %d (each update's range alone)", len(got), len(want))
	}
	for _, id := range got {
		if !want[id] {
			t.Errorf("listed %s, in no update's range", id)
		}
		delete(want, id)
	}
	for id := range want {
		t.Errorf("%s is in an update's range but not listed", id)
	}
	if !slices.Contains(got, s) || !slices.Contains(got, d) {
		t.Errorf("listed %v, want the side commit the merge and the new branch bring", got)
	}
}

// rangeRepo is a bare repository (default branch main) whose main is at a
// and side at s, both children of root, with run (git in it) and commit
// (a commit of the empty tree with the given parents).
func rangeRepo(t *testing.T) (dir string, run func(...string) string, commit func(string, ...string) string, root, a, s string) {
	t.Helper()
	testenv.RequireTool(t, "git")
	dir = t.TempDir()
	run = gitIn(t, dir)
	run("init", "-q", "--bare", "-b", "main")
	tree := run("hash-object", "-t", "tree", "-w", "/dev/null")
	commit = func(msg string, parents ...string) string {
		args := []string{"commit-tree", tree, "-m", msg}
		for _, p := range parents {
			args = append(args, "-p", p)
		}
		return run(args...)
	}
	root = commit("root")
	a = commit("a", root)
	s = commit("s", root)
	run("update-ref", "refs/heads/main", a)
	run("update-ref", "refs/heads/side", s)
	return dir, run, commit, root, a, s
}
