// End-to-end tests of the file index: the git server's post-receive hook
// records each pushed tree by path, copies regular blobs to the uploads
// bucket for the scanner, and the tree API lists files by path with
// securityFileStatus.

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

func (s stack) tree(t *testing.T, a account, rest string) (int, []treeEntry) {
	t.Helper()
	var raw json.RawMessage
	st := s.call(t, "GET", fmt.Sprintf("%s/api/models/%s/%s/tree/%s", s.gateway, a.user, a.repo, rest), "Bearer "+a.token, nil, &raw)
	var entries []treeEntry
	if st == http.StatusOK {
		if err := json.Unmarshal(raw, &entries); err != nil {
			t.Fatalf("tree %s: %v: %s", rest, err, raw)
		}
	}
	return st, entries
}

func paths(es []treeEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type+":"+e.Path)
	}
	sort.Strings(out)
	return out
}

// waitHub polls the expanded recursive list until path has a final
// securityFileStatus (not unscanned or queued).
func (s stack) waitHub(t *testing.T, a account, path string) treeEntry {
	t.Helper()
	var last treeEntry
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		st, entries := s.tree(t, a, "main?recursive=true&expand=true")
		if st != http.StatusOK {
			t.Fatalf("tree: %d", st)
		}
		for _, e := range entries {
			if e.Path == path && e.SecurityFileStatus != nil {
				last = e
				if st := e.SecurityFileStatus.Status; st != "queued" && st != "unscanned" {
					return e
				}
			}
		}
	}
	log, _ := os.ReadFile(filepath.Join(gitFolder(t, "/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token), "trustlayer-uploads.log"))
	t.Fatalf("%s: no verdict; last %+v; the git server's copy log:\n%s", path, last.SecurityFileStatus, log)
	return last
}

// TestTreeListsPushedFilesByPath: nested paths, the same bytes under two
// paths as two files, lfs for LFS files, folders when not recursive, a
// path inside the tree, a commit id as revision.
func TestTreeListsPushedFilesByPath(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	same := []byte("the same bytes\n")
	weights := []byte(strings.Repeat("w", 5000))
	s.push(t, a, map[string][]byte{
		"a/b/c/config.json": []byte(`{"hidden": 1}`),
		"same1.txt":         same,
		"dir/same2.txt":     same,
		"weights.bin":       weights, // tracked by LFS
	})
	st, all := s.tree(t, a, "main?recursive=true")
	if st != http.StatusOK {
		t.Fatalf("tree: %d", st)
	}
	want := []string{"file:.gitattributes", "file:a/b/c/config.json", "file:dir/same2.txt", "file:same1.txt", "file:weights.bin"}
	if got := paths(all); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recursive list: got %v, want %v", got, want)
	}
	byPath := map[string]treeEntry{}
	for _, e := range all {
		byPath[e.Path] = e
	}
	if byPath["same1.txt"].OID != byPath["dir/same2.txt"].OID || byPath["same1.txt"].OID == "" {
		t.Errorf("same bytes: oids %q and %q, want the same blob id", byPath["same1.txt"].OID, byPath["dir/same2.txt"].OID)
	}
	w := byPath["weights.bin"]
	if w.LFS == nil || w.LFS.OID != oid(weights) || w.LFS.Size != int64(len(weights)) || w.Size != int64(len(weights)) || w.LFS.PointerSize == 0 {
		t.Errorf("weights.bin: got %+v lfs %+v, want the LFS pointer of the pushed bytes", w, w.LFS)
	}
	if byPath["same1.txt"].LFS != nil {
		t.Errorf("same1.txt has an lfs block")
	}
	_, root := s.tree(t, a, "main")
	if got, want := paths(root), []string{"directory:a", "directory:dir", "file:.gitattributes", "file:same1.txt", "file:weights.bin"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("root list: got %v, want %v", got, want)
	}
	_, sub := s.tree(t, a, "main/a/b")
	if got, want := paths(sub), []string{"directory:a/b/c"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("a/b: got %v, want %v", got, want)
	}
	_, deep := s.tree(t, a, "main/a?recursive=true")
	if got, want := paths(deep), []string{"file:a/b/c/config.json"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("a, recursive: got %v, want %v", got, want)
	}
	if st, _ := s.tree(t, a, "main/no/such/file"); st != http.StatusNotFound {
		t.Errorf("missing path: got %d, want 404", st)
	}
	if st, _ := s.tree(t, a, "no-such-branch"); st != http.StatusNotFound {
		t.Errorf("missing revision: got %d, want 404", st)
	}
	head := s.remoteHead(t, a)
	if st, byID := s.tree(t, a, head+"?recursive=true"); st != http.StatusOK || len(byID) != len(all) {
		t.Errorf("tree at commit %s: %d with %d files, want 200 with %d", head, st, len(byID), len(all))
	}
}

// TestRegularFilesScannedUnderTheirPath: a clean regular git file is
// safe in the tree under its path; a malicious pickle and EICAR are unsafe
// under theirs, with the pickle and antivirus blocks. Those two are LFS
// files: as regular files a push never gets them into git (invariant 11,
// TestInvariantUnsafeRegularFilesNeverEnterGit).
func TestRegularFilesScannedUnderTheirPath(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	s.push(t, a, map[string][]byte{
		".gitattributes": []byte("*.pkl filter=lfs diff=lfs merge=lfs -text\ndocs/** filter=lfs diff=lfs merge=lfs -text\n"),
		"evil.pkl":       scantest.MaliciousPickle(t),
		"docs/notes.txt": []byte(scantest.EICAR),
		"config.json":    []byte(`{"ok": true}`),
	})
	evil := s.waitHub(t, a, "evil.pkl")
	fs := evil.SecurityFileStatus
	if fs.Status != "unsafe" || fs.PickleImportScan == nil || fs.PickleImportScan.Status != "unsafe" || fs.AVScan == nil {
		t.Fatalf("evil.pkl: got %+v, want unsafe with a pickle block", fs)
	}
	found := false
	for _, i := range fs.PickleImportScan.PickleImports {
		found = found || (i.Name == "system" && i.Safety == "dangerous")
	}
	if !found {
		t.Errorf("evil.pkl: os.system not listed as dangerous: %+v", fs.PickleImportScan.PickleImports)
	}
	if evil.Security.Status != "infected" {
		t.Errorf("evil.pkl: older security block says %q, want infected", evil.Security.Status)
	}
	notes := s.waitHub(t, a, "docs/notes.txt").SecurityFileStatus
	if notes.Status != "unsafe" || notes.AVScan == nil || notes.AVScan.Status != "unsafe" || len(notes.AVScan.VirusNames) == 0 || notes.PickleImportScan != nil {
		t.Errorf("docs/notes.txt: got %+v avScan %+v, want unsafe by the antivirus, no pickle block", notes, notes.AVScan)
	}
	if cfg := s.waitHub(t, a, "config.json").SecurityFileStatus; cfg.Status != "safe" {
		t.Errorf("config.json: got %+v, want safe", cfg)
	}
}

// remoteHead is the commit main points at on the server.
func (s stack) remoteHead(t *testing.T, a account) string {
	t.Helper()
	out := git(t, t.TempDir(), "ls-remote", a.remote(s), "refs/heads/main")
	id, _, _ := strings.Cut(out, "\t")
	return strings.TrimSpace(id)
}

// waitIndexed waits until the repository's revision rev is commit in the
// file index, which the indexer updates after the push has answered (an
// asynchronous invoke): apiRepo is /api/models/{ns}/{name} (or datasets,
// spaces).
func waitIndexed(t testing.TB, base, apiRepo, auth, rev, commit string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest("GET", base+apiRepo+"/revision/"+rev, nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			SHA string `json:"sha"`
		}
		json.NewDecoder(res.Body).Decode(&info)
		res.Body.Close()
		if res.StatusCode == http.StatusOK && info.SHA == commit {
			return
		}
		last = fmt.Sprintf("%d sha %q", res.StatusCode, info.SHA)
	}
	t.Fatalf("%s at %s: not indexed at %s after 90 s (last: %s)", apiRepo, rev, commit, last)
}
