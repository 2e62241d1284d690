// End-to-end tests of big repositories: a 50,000-file push through plain
// git, indexed off the pusher's wait and listed page by page; a push that
// changes one file; a 200 MB push through the gateway.

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
)

// plainRepo makes a work tree whose pushes go to a's repository with no
// git configuration beyond the identity (no http.postBuffer).
func plainRepo(t testing.TB) string {
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "user.email", "big@example.com")
	git(t, dir, "config", "user.name", "big")
	return dir
}

// lsTree is git's own listing of HEAD: path -> blob id.
func lsTree(t *testing.T, dir string) map[string]string {
	out := git(t, dir, "ls-tree", "-r", "-z", "HEAD")
	m := map[string]string{}
	for _, rec := range strings.Split(out, "\x00") {
		if meta, p, ok := strings.Cut(rec, "\t"); ok {
			f := strings.Fields(meta)
			m[p] = f[2]
		}
	}
	return m
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// listAll follows the tree API's Link header from url to the last page,
// as huggingface_hub's list_repo_tree does, and returns every entry and
// the number of pages.
func listAll(t testing.TB, url, auth string) ([]treeEntry, int) {
	t.Helper()
	return listPages[treeEntry](t, url, auth)
}

// listPages is listAll for any entry shape (expand=true pages hold 50).
func listPages[T any](t testing.TB, url, auth string) ([]T, int) {
	t.Helper()
	var all []T
	pages := 0
	for url != "" {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page []T
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if res.StatusCode != 200 || err != nil {
			t.Fatalf("page %d (%s): %d %v", pages, url, res.StatusCode, err)
		}
		all = append(all, page...)
		pages++
		url = ""
		if m := nextLink.FindStringSubmatch(res.Header.Get("Link")); m != nil {
			url = m[1]
		}
		if pages > 10000 {
			t.Fatal("the Link header never ends")
		}
	}
	return all, pages
}

// TestBigPushIndexedAndPaged: a plain git push of 50,000 files (100
// folders of 500) is indexed off the pusher's wait and listed completely,
// each path with git's blob id, through the paged tree API; a second push
// changing one file writes 3 index items (the file's folder, the root
// tree, the commit's mark), counted by the store as it wrote them, where
// the first wrote one per folder.
// The real huggingface.js client then lists it all through the same pages.
func TestBigPushIndexedAndPaged(t *testing.T) {
	s := needStack(t)
	table := testenv.RequireEnv(t, "TRUSTLAYER_TABLE")
	a := s.newAccount(t)
	dir := plainRepo(t)
	const folders, perFolder = 100, 500
	for d := range folders {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range perFolder {
			// 599 distinct blobs, most under one name in every folder:
			// 599 copies to scan, not 50,000.
			content := fmt.Sprintf("file %d\n", f)
			if f == 0 {
				content = fmt.Sprintf("folder %d\n", d) // every folder its own tree
			}
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.txt", f)), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "50,000 files")
	start := time.Now()
	git(t, dir, "push", "-q", a.remote(s), "main")
	pushed := time.Since(start)
	head := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	apiRepo := "/api/models/" + a.user + "/" + a.repo
	auth := "Bearer " + a.token
	waitIndexed(t, s.gateway, apiRepo, auth, "main", head)
	t.Logf("push of 50,000 files answered in %v; indexed %v after the push began", pushed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	want := lsTree(t, dir)
	check := func(when string) {
		t.Helper()
		all, pages := listAll(t, s.gateway+apiRepo+"/tree/main?recursive=true", auth)
		got := map[string]string{}
		for _, e := range all {
			if _, dup := got[e.Path]; dup {
				t.Fatalf("%s: %s listed twice", when, e.Path)
			}
			got[e.Path] = e.OID
		}
		if len(got) != len(want) || pages < len(want)/1000 {
			t.Fatalf("%s: listed %d files in %d pages, want %d in at least %d", when, len(got), pages, len(want), len(want)/1000)
		}
		for p, oid := range want {
			if got[p] != oid {
				t.Fatalf("%s: %s has oid %q, want %s", when, p, got[p], oid)
			}
		}
	}
	check("first push")

	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tb := ddb.Table{DB: awsconfig.DynamoDB(cfg), Name: table}
	r, err := repoddb.Store{Table: tb}.Repo(context.Background(), access.RepoModel, a.user, a.repo)
	if err != nil {
		t.Fatal(err)
	}
	mark := func(commit string) int {
		m, ok, err := filesddb.Store{Table: tb}.Mark(context.Background(), r.ID, commit)
		if err != nil || !ok {
			t.Fatalf("mark of %s: %v %v", commit, ok, err)
		}
		return m.Writes
	}
	if w := mark(head); w != folders+2 {
		t.Errorf("first push wrote %d index items, want %d (a tree per folder, the root, the mark)", w, folders+2)
	}

	if err := os.WriteFile(filepath.Join(dir, "d042", "f007.txt"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", "one file")
	git(t, dir, "push", "-q", a.remote(s), "main")
	head2 := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	waitIndexed(t, s.gateway, apiRepo, auth, "main", head2)
	if w := mark(head2); w != 3 {
		t.Errorf("a push changing one file wrote %d index items, want 3 (its folder, the root, the mark)", w)
	}
	want = lsTree(t, dir)
	check("one file changed")
	listedByHuggingFaceJS(t, s, a, want)
}

// listedByHuggingFaceJS lists a's repository with the real huggingface.js
// client (listFiles, recursive), which follows the tree API's Link pages,
// and checks it sees exactly want (path to blob id).
func listedByHuggingFaceJS(t *testing.T, s stack, a account, want map[string]string) {
	t.Helper()
	node, hfdir := hfjs(t)
	script, _ := filepath.Abs("testdata/hfjs_list.mjs")
	cmd := exec.Command(node, script, s.gateway, a.token, a.user+"/"+a.repo)
	cmd.Env = append(os.Environ(), "HFJS_DIR="+hfdir)
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("huggingface.js listFiles: %v\n%s", err, redact(string(raw)))
	}
	var got struct {
		Files  int
		Digest string
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("script output: %s", raw)
	}
	var exp []string
	for p, oid := range want {
		exp = append(exp, p+" "+oid)
	}
	sort.Strings(exp)
	sum := sha256.Sum256([]byte(strings.Join(exp, "\n")))
	t.Logf("huggingface.js listFiles: %d files", got.Files)
	if got.Files != len(want) || got.Digest != hex.EncodeToString(sum[:]) {
		t.Fatalf("huggingface.js listFiles saw %d files (digest %s), want %d (digest %x)", got.Files, got.Digest, len(want), sum)
	}
}

// TestPlainPush200MB: a plain git push of a 200 MB file (git sends it
// chunked) goes through the gateway to the git server's pre-receive hook,
// which refuses it with the advice to use Git LFS: a regular file over 10
// MiB never enters git (invariant 11, as on the Hugging Face Hub). A file
// of exactly 10 MiB, the largest a push may add, is judged (staged through
// the bucket), accepted and indexed.
func TestPlainPush200MB(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	dir := plainRepo(t)
	git(t, dir, "config", "core.compression", "0") // the pack stays 200 MB, and cheap to build
	data := make([]byte, 200<<20)
	rand.New(rand.NewSource(23)).Read(data)
	if err := os.WriteFile(filepath.Join(dir, "weights.raw"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	data = nil
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "200 MB")
	start := time.Now()
	out, err := s.tryPush(t, a, dir)
	t.Logf("200 MB push answered in %v", time.Since(start).Round(time.Millisecond))
	if err == nil || !strings.Contains(out, "remote: Your push was rejected because it contains files larger than 10 MiB") ||
		!strings.Contains(out, "weights.raw (200.0 MiB)") || !strings.Contains(out, "Git LFS") {
		t.Fatalf("200 MB regular file: %v, want refused naming it with the LFS advice:\n%s", err, out)
	}
	if got := s.remoteHead(t, a); got != "" {
		t.Fatalf("the refused push made main %s", got)
	}
	// 10 MiB of text: the largest regular file, accepted and indexed.
	raw := make([]byte, scan.MaxRegularFile/2)
	rand.New(rand.NewSource(24)).Read(raw)
	writeBytes(t, dir, "weights.raw", []byte(hex.EncodeToString(raw)))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "--amend", "-m", "10 MiB")
	if out, err := s.tryPush(t, a, dir); err != nil {
		t.Fatalf("10 MiB regular file: %v\n%s", err, out)
	}
	head := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token, "main", head)
	st, es := s.tree(t, a, "main")
	if st != 200 || len(es) != 1 || es[0].Size != scan.MaxRegularFile {
		t.Fatalf("tree: %d %+v, want weights.raw of %d bytes", st, es, scan.MaxRegularFile)
	}
}
