// End-to-end tests of the commit API (POST /api/models/{ns}/{name}/commit/{rev},
// NDJSON): real git commits through the git server's hooks, signed with the
// service's key.

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// commitAPI posts NDJSON lines to the commit route and returns the status,
// the commit id and the error message.
func (s stack) commitAPI(t *testing.T, a account, rev string, lines ...map[string]any) (int, string, string) {
	t.Helper()
	var b bytes.Buffer
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/models/%s/%s/commit/%s", s.gateway, a.user, a.repo, rev), &b)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		CommitOid, CommitURL, Error string
	}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.CommitOid, out.Error + resp.Header.Get("X-Error-Message")
}

func header(summary, parent string) map[string]any {
	v := map[string]any{"summary": summary, "description": ""}
	if parent != "" {
		v["parentCommit"] = parent
	}
	return map[string]any{"key": "header", "value": v}
}

func fileOp(path, content string) map[string]any {
	return map[string]any{"key": "file", "value": map[string]any{"path": path, "content": base64.StdEncoding.EncodeToString([]byte(content)), "encoding": "base64"}}
}

// TestCommitAPI: a first commit into an empty repository; a second with a
// deleted file and a deleted folder on its stated parent; the same parent
// again is stale (412); an LFS file whose object was never uploaded, or
// whose uploaded bytes do not hash to its oid, is refused; the right
// bytes commit. The commits are real: fetched with git, signed by the
// service's key, verified by git with it, and listed as verified with
// reason signed_by_service.
func TestCommitAPI(t *testing.T) {
	s := needStack(t)
	a := s.privateAccount(t)
	st, first, msg := s.commitAPI(t, a, "main", header("Add files", ""),
		fileOp("a.txt", "A\n"), fileOp("dir/b.txt", "B\n"), fileOp("dir/sub/c.txt", "C\n"), fileOp("keep.txt", "K\n"))
	if st != 200 || len(first) != 40 {
		t.Fatalf("first commit: %d %q %s", st, first, msg)
	}
	st, second, msg := s.commitAPI(t, a, "main", header("Remove some", first),
		map[string]any{"key": "deletedFile", "value": map[string]any{"path": "a.txt"}},
		map[string]any{"key": "deletedFolder", "value": map[string]any{"path": "dir"}},
		fileOp("new.txt", "N\n"))
	if st != 200 || len(second) != 40 {
		t.Fatalf("second commit: %d %s", st, msg)
	}
	if st, _, msg := s.commitAPI(t, a, "main", header("Stale", first), fileOp("x.txt", "x")); st != 412 {
		t.Errorf("stale parent: %d %s, want 412", st, msg)
	}
	_, tree := s.tree(t, a, "main?recursive=true")
	if got := paths(tree); fmt.Sprint(got) != "[file:keep.txt file:new.txt]" {
		t.Errorf("tree after the second commit: %v", got)
	}

	// LFS files: never uploaded; bytes that do not hash to the oid; right.
	good := []byte(strings.Repeat("weights!", 512))
	if st, _, msg := s.commitAPI(t, a, "main", header("LFS", ""),
		map[string]any{"key": "lfsFile", "value": map[string]any{"path": "w.bin", "algo": "sha256", "oid": oid([]byte("never")), "size": 5}}); st != 404 {
		t.Errorf("LFS object never uploaded: %d %s, want 404", st, msg)
	}
	claimed := oid(good)
	act := s.batchUpload(t, a, claimed, len(good))
	bad := bytes.Repeat([]byte("x"), len(good))
	if st, _ := put(t, act.Href, act.Header, bad); st != 200 {
		t.Fatalf("put: %d", st)
	}
	lfsLine := map[string]any{"key": "lfsFile", "value": map[string]any{"path": "w.bin", "algo": "sha256", "oid": claimed, "size": len(good)}}
	if st, _, msg := s.commitAPI(t, a, "main", header("LFS", ""), lfsLine); st != 400 || !strings.Contains(msg, "do not hash") {
		t.Errorf("mismatched LFS bytes: %d %s, want 400", st, msg)
	}
	act = s.batchUpload(t, a, claimed, len(good))
	if st, _ := put(t, act.Href, act.Header, good); st != 200 {
		t.Fatalf("put: %d", st)
	}
	st, third, msg := s.commitAPI(t, a, "main", header("LFS", second), lfsLine)
	if st != 200 {
		t.Fatalf("LFS commit: %d %s", st, msg)
	}
	// Until its scan's verdict, the file answers 409 with Retry-After.
	r := fetch(t, "HEAD", s.gateway+"/"+a.user+"/"+a.repo+"/resolve/main/w.bin", "Bearer "+a.token)
	for i := 0; r.status == 409 && r.header.Get("Retry-After") != "" && i < 60; i++ {
		time.Sleep(time.Second)
		r = fetch(t, "HEAD", s.gateway+"/"+a.user+"/"+a.repo+"/resolve/main/w.bin", "Bearer "+a.token)
	}
	if r.status != 302 || r.header.Get("X-Repo-Commit") != third {
		t.Errorf("resolve w.bin: %d commit %q, want 302 at %s", r.status, r.header.Get("X-Repo-Commit"), third)
	}

	// Real git: fetched, signed by the service, verified by git.
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	git(t, dir, "config", a.headerKey(s), a.authHeader())
	git(t, dir, "fetch", "-q", a.remote(s), "main")
	if got := strings.TrimSpace(git(t, dir, "rev-parse", "FETCH_HEAD")); got != third {
		t.Fatalf("fetched %s, want %s", got, third)
	}
	obj := git(t, dir, "cat-file", "commit", second)
	if !strings.Contains(obj, "gpgsig -----BEGIN SSH SIGNATURE-----") || !strings.Contains(obj, "author "+a.user+" ") {
		t.Errorf("commit %s: not SSH-signed or not authored by the caller:\n%s", second, obj)
	}
	pub := os.Getenv("TRUSTLAYER_SERVICE_SIGNING_PUBKEY")
	if pub == "" {
		t.Fatal("TRUSTLAYER_SERVICE_SIGNING_PUBKEY unset (devstack sets it)")
	}
	signers := filepath.Join(dir, "allowed_signers")
	if err := os.WriteFile(signers, []byte("noreply@trustlayer.invalid "+pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "-c", "gpg.ssh.allowedSignersFile="+signers, "verify-commit", second)

	var list []struct {
		ID           string
		Verification struct {
			Verified bool
			Reason   string
		}
	}
	if st := s.call(t, "GET", fmt.Sprintf("%s/api/models/%s/%s/commits/main", s.gateway, a.user, a.repo), "Bearer "+a.token, nil, &list); st != 200 || len(list) != 3 {
		t.Fatalf("commit list: %d %+v", st, list)
	}
	for _, c := range list {
		if !c.Verification.Verified || c.Verification.Reason != "signed_by_service" {
			t.Errorf("commit %s: %+v, want verified, signed_by_service", c.ID, c.Verification)
		}
	}
}
