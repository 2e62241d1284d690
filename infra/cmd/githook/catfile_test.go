package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	run := func(args ...string) string {
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
	objs, blobs, err := newObjects(cf, []githook.RefUpdate{{Old: one, New: two, Ref: "refs/heads/main"}, {Old: zero, New: tag, Ref: "refs/tags/v1"}})
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
