// End-to-end tests of downloads (resolve and raw) with curl-style HTTP:
// every header the clients read, ranges, redirects of LFS files to a
// presigned URL, error codes, and only judged-safe bytes served.

package e2e

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

// noRedirect is an HTTP client that shows redirects instead of following.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// fetch sends method to url with optional auth and headers (k, v pairs),
// not following redirects.
func fetch(t *testing.T, method, u, auth string, kv ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// blobID is git's object id of a blob with content b.
func blobID(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// privateAccount is newAccount with a private repository.
func (s stack) privateAccount(t *testing.T) account {
	t.Helper()
	h := newHub(t)
	u := h.signup("dl")
	tok, _ := h.token(u, "write")
	name := uniqueName("private")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "type": "model", "private": true}), "create repo")
	return account{user: u.Name, token: tok, repo: name}
}

// TestResolveHeadersRangesAndErrors: HEAD and GET resolve of a regular
// file (served in the body, ranges) and of an LFS file (302 to an
// absolute presigned URL), raw of an LFS file (its pointer), a commit id
// as revision, X-Error-Code on each error, anonymous refused, and an
// infected file (in LFS: as a regular file it never enters git, invariant
// 11) refused with 403 and its reason.
func TestResolveHeadersRangesAndErrors(t *testing.T) {
	s := needStack(t)
	a := s.privateAccount(t)
	cfg := []byte(`{"architectures": ["Toy"], "hidden": 64}` + "\n")
	weights := []byte(strings.Repeat("0123456789abcdef", 700))
	s.push(t, a, map[string][]byte{
		"config.json":       cfg,
		"sub/dir/notes.txt": []byte("nested\n"),
		"my notes (v2).txt": []byte("spaced\n"),
		"weights.bin":       weights,                // LFS
		"eicar.bin":         []byte(scantest.EICAR), // LFS: a regular file judged infected never enters git (invariant 11)
	})
	head := s.remoteHead(t, a)
	bearer := "Bearer " + a.token
	base := s.gateway + "/" + a.user + "/" + a.repo
	// A download of a file still being scanned answers 409 at once (the
	// pending-download test covers that): wait for every verdict first.
	waitVerdicts(t, s.gateway, a.user, a.repo, bearer, []string{"config.json", "sub/dir/notes.txt", "my notes (v2).txt", "weights.bin", "eicar.bin"}, time.Now())

	// A regular file: served in the body.
	r := fetch(t, "HEAD", base+"/resolve/main/config.json", bearer)
	if r.status != 200 {
		t.Fatalf("HEAD config.json: %d %v", r.status, r.header)
	}
	if got := r.header.Get("X-Repo-Commit"); got != head {
		t.Errorf("X-Repo-Commit %q, want %s", got, head)
	}
	if got := r.header.Get("ETag"); got != `"`+blobID(cfg)+`"` {
		t.Errorf("ETag %q, want the git blob id %s", got, blobID(cfg))
	}
	if got := r.header.Get("X-Linked-Size"); got != strconv.Itoa(len(cfg)) {
		t.Errorf("X-Linked-Size %q, want %d", got, len(cfg))
	}
	r = fetch(t, "GET", base+"/resolve/main/config.json", bearer)
	if r.status != 200 || string(r.body) != string(cfg) || r.header.Get("Content-Length") != strconv.Itoa(len(cfg)) {
		t.Errorf("GET config.json: %d %q (Content-Length %s)", r.status, r.body, r.header.Get("Content-Length"))
	}
	r = fetch(t, "GET", base+"/resolve/main/config.json", bearer, "Range", "bytes=2-14")
	if r.status != 206 || string(r.body) != string(cfg[2:15]) || r.header.Get("Content-Range") != fmt.Sprintf("bytes 2-14/%d", len(cfg)) {
		t.Errorf("range of config.json: %d %q %q", r.status, r.body, r.header.Get("Content-Range"))
	}
	r = fetch(t, "GET", base+"/resolve/"+head+"/sub/dir/notes.txt", bearer)
	if r.status != 200 || string(r.body) != "nested\n" {
		t.Errorf("nested path at the commit id: %d %q", r.status, r.body)
	}
	// Names the clients percent-encode: a space and parentheses in the
	// file name.
	r = fetch(t, "GET", base+"/resolve/main/"+url.PathEscape("my notes (v2).txt"), bearer)
	if r.status != 200 || string(r.body) != "spaced\n" {
		t.Errorf("encoded file name: %d %q", r.status, r.body)
	}
	// A full ref name, its '/' encoded as the clients send it.
	r = fetch(t, "GET", base+"/resolve/refs%2Fheads%2Fmain/sub/dir/notes.txt", bearer)
	if r.status != 200 || string(r.body) != "nested\n" {
		t.Errorf("encoded revision refs%%2Fheads%%2Fmain: %d %q", r.status, r.body)
	}

	// An LFS file: 302 to an absolute presigned URL of its bytes.
	r = fetch(t, "HEAD", base+"/resolve/main/weights.bin", bearer)
	loc := r.header.Get("Location")
	if r.status != 302 || !strings.HasPrefix(loc, "http") {
		t.Fatalf("HEAD weights.bin: %d Location %q", r.status, loc)
	}
	if u, err := url.Parse(loc); err != nil || !u.IsAbs() || strings.HasPrefix(loc, s.gateway) {
		t.Errorf("Location %q: want an absolute URL of the bucket, not the gateway", loc)
	}
	if r.header.Get("X-Linked-Etag") != `"`+oid(weights)+`"` || r.header.Get("ETag") != `"`+oid(weights)+`"` {
		t.Errorf("LFS ETag %q X-Linked-Etag %q, want the SHA-256 %s", r.header.Get("ETag"), r.header.Get("X-Linked-Etag"), oid(weights))
	}
	if r.header.Get("X-Linked-Size") != strconv.Itoa(len(weights)) || r.header.Get("X-Repo-Commit") != head {
		t.Errorf("LFS X-Linked-Size %q X-Repo-Commit %q", r.header.Get("X-Linked-Size"), r.header.Get("X-Repo-Commit"))
	}
	g := fetch(t, "GET", loc, "", "Range", "bytes=100-199")
	if g.status != 206 || string(g.body) != string(weights[100:200]) {
		t.Errorf("range through the presigned URL: %d %q", g.status, g.body)
	}
	g = fetch(t, "GET", loc, "")
	if g.status != 200 || string(g.body) != string(weights) {
		t.Errorf("presigned GET: %d, %d bytes, want the %d pushed", g.status, len(g.body), len(weights))
	}
	r = fetch(t, "GET", base+"/raw/main/weights.bin", bearer)
	pointer := fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid(weights), len(weights))
	if r.status != 200 || string(r.body) != pointer || r.header.Get("ETag") != `"`+blobID([]byte(pointer))+`"` {
		t.Errorf("raw weights.bin: %d %q ETag %q, want the pointer git stores", r.status, r.body, r.header.Get("ETag"))
	}

	// paths-info with the form body huggingface_hub sends.
	req, _ := http.NewRequest("POST", s.gateway+"/api/models/"+a.user+"/"+a.repo+"/paths-info/main",
		strings.NewReader("paths=config.json&paths=weights.bin&paths=sub&paths=nope&expand=True"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", bearer)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var got []treeEntry
		err := json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || fmt.Sprint(paths(got)) != "[directory:sub file:config.json file:weights.bin]" {
			t.Errorf("form paths-info: %d %v %v", resp.StatusCode, paths(got), err)
		}
		for _, e := range got {
			if e.Path == "config.json" && (e.OID != blobID(cfg) || e.SecurityFileStatus == nil) {
				t.Errorf("form paths-info config.json: %+v", e)
			}
		}
	}

	// Errors carry the codes the clients branch on.
	for _, tt := range []struct {
		path, auth string
		status     int
		code       string
	}{
		{"/" + a.user + "/no-such-repo/resolve/main/config.json", bearer, 404, "RepoNotFound"},
		{"/" + a.user + "/" + a.repo + "/resolve/no-such-branch/config.json", bearer, 404, "RevisionNotFound"},
		{"/" + a.user + "/" + a.repo + "/resolve/main/no/such.json", bearer, 404, "EntryNotFound"},
		{"/" + a.user + "/" + a.repo + "/resolve/main/config.json", "", 401, "RepoNotFound"},
	} {
		for _, m := range []string{"HEAD", "GET"} {
			r := fetch(t, m, s.gateway+tt.path, tt.auth)
			if r.status != tt.status || r.header.Get("X-Error-Code") != tt.code || r.header.Get("X-Error-Message") == "" {
				t.Errorf("%s %s: %d %q %q, want %d %s with a message", m, tt.path, r.status, r.header.Get("X-Error-Code"), r.header.Get("X-Error-Message"), tt.status, tt.code)
			}
		}
	}

	// Only judged-safe bytes: EICAR is refused with its reason.
	s.waitHub(t, a, "eicar.bin")
	for _, p := range []string{"", "/revision/main", "/revision/" + head} {
		var info struct {
			SHA      *string
			Siblings []struct {
				RFilename string
				Size      *int64
				BlobID    string
				LFS       *struct {
					SHA256 string
					Size   int64
				}
			}
			SecurityRepoStatus *struct {
				ScansDone       bool
				FilesWithIssues []struct{ Path, Level string }
			}
		}
		st := s.call(t, "GET", s.gateway+"/api/models/"+a.user+"/"+a.repo+p+"?blobs=True&securityStatus=True", bearer, nil, &info)
		if st != 200 || info.SHA == nil || *info.SHA != head || len(info.Siblings) != 6 {
			t.Fatalf("repo info%s: %d sha %v, %d siblings, want %s and 6", p, st, info.SHA, len(info.Siblings), head)
		}
		for _, sb := range info.Siblings {
			switch sb.RFilename {
			case "config.json":
				if sb.Size == nil || *sb.Size != int64(len(cfg)) || sb.BlobID != blobID(cfg) {
					t.Errorf("sibling config.json: %+v", sb)
				}
			case "weights.bin":
				if sb.LFS == nil || sb.LFS.SHA256 != oid(weights) || sb.Size == nil || *sb.Size != int64(len(weights)) {
					t.Errorf("sibling weights.bin: %+v", sb)
				}
			}
		}
		sec := info.SecurityRepoStatus
		if sec == nil || len(sec.FilesWithIssues) != 1 || sec.FilesWithIssues[0].Path != "eicar.bin" || sec.FilesWithIssues[0].Level != "unsafe" {
			t.Errorf("securityRepoStatus: %+v, want eicar.bin unsafe", sec)
		}
	}
	if r := fetch(t, "GET", s.gateway+"/api/models/"+a.user+"/"+a.repo+"/revision/no-such-branch", bearer); r.status != 404 || r.header.Get("X-Error-Code") != "RevisionNotFound" {
		t.Errorf("repo info at a missing revision: %d %q", r.status, r.header.Get("X-Error-Code"))
	}
	for _, m := range []string{"HEAD", "GET"} {
		r = fetch(t, m, base+"/resolve/main/eicar.bin", bearer)
		if r.status != 403 || !strings.Contains(r.header.Get("X-Error-Message"), "infected") || strings.Contains(string(r.body), "EICAR-STANDARD") {
			t.Errorf("%s eicar.bin: %d %q, want 403 with the reason", m, r.status, r.header.Get("X-Error-Message"))
		}
	}
}
