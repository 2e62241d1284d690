package devstack

import (
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/trusthop"
)

// TestGitBackendChecksFirst: the git backend refuses what the gateway did
// not sign (no, forged or stale signature, whatever X-Trust-Decision says)
// and what the authorizer denied, and creates no repository for either;
// a signed, allowed request is served.
func TestGitBackendChecksFirst(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not on PATH (apt-get install -y git)")
	}
	key, _ := trusthop.New([]byte(strings.Repeat("g", trusthop.MinSecret)))
	forger, _ := trusthop.New([]byte(strings.Repeat("f", trusthop.MinSecret)))
	root := t.TempDir()
	h := newGitBackend(root, git, key, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)

	request := func(path string, hdr map[string]string, sign *trusthop.Key) *http.Request {
		r := httptest.NewRequest("GET", path, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		if sign != nil {
			sign.Sign(r.Header, r.Method, trusthop.PathQuery(r))
		}
		return r
	}
	allow := map[string]string{"X-Trust-Decision": "allow", "X-Trust-User": "alice", "X-Trust-Repo-Id": "0123456789abcdef01234567"}
	stale := request("/alice/stale.git/info/refs?service=git-upload-pack", allow, key)
	stale.Header.Set(trusthop.HeaderTimestamp, "1000000000") // 2001: outside the skew, and the signature no longer matches either
	tests := []struct {
		name, repo string
		req        *http.Request
		want       int
	}{
		{"unsigned allow", "unsigned", request("/alice/unsigned.git/info/refs?service=git-upload-pack", allow, nil), 403},
		{"forged signature", "forged", request("/alice/forged.git/info/refs?service=git-upload-pack", allow, forger), 403},
		{"stale signature", "stale", stale, 403},
		{"signed anonymous deny", "denied", request("/alice/denied.git/info/refs?service=git-upload-pack",
			map[string]string{"X-Trust-Decision": "deny", "X-Trust-Status": "403"}, key), 403},
		{"signed deferred 401", "challenged", request("/alice/challenged.git/info/refs?service=git-receive-pack",
			map[string]string{"X-Trust-Decision": "deny", "X-Trust-Status": "401", "X-Trust-Reason": "login"}, key), 401},
		{"signed allow naming no repository id", "noid", request("/alice/noid.git/info/refs?service=git-upload-pack",
			map[string]string{"X-Trust-Decision": "allow", "X-Trust-User": "alice"}, key), 500},
		{"signed allow naming a bad repository id", "badid", request("/alice/badid.git/info/refs?service=git-upload-pack",
			map[string]string{"X-Trust-Decision": "allow", "X-Trust-User": "alice", "X-Trust-Repo-Id": "../../x"}, key), 500},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tt.req)
		if w.Code != tt.want {
			t.Errorf("%s: got %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
		if des, _ := os.ReadDir(root); len(des) != 0 {
			t.Errorf("%s: refused request created %s", tt.name, des[0].Name())
		}
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("/alice/ok.git/info/refs?service=git-upload-pack", allow, key))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "# service=git-upload-pack") {
		t.Errorf("signed allow: got %d %.200s, want 200 with the ref advertisement", w.Code, w.Body)
	}
}

// TestInferenceEchoVerifiesHop: the echo backend answers only signed
// requests.
func TestInferenceEchoVerifiesHop(t *testing.T) {
	key, _ := trusthop.New([]byte(strings.Repeat("e", trusthop.MinSecret)))
	h := inferenceEcho(key)
	r := httptest.NewRequest("POST", "/models/alice/m", strings.NewReader("{}"))
	r.Header.Set("X-Trust-User", "alice")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("unsigned: got %d %s, want 403", w.Code, w.Body)
	}
	r = httptest.NewRequest("POST", "/models/alice/m", strings.NewReader("{}"))
	r.Header.Set("X-Trust-User", "alice")
	key.Sign(r.Header, r.Method, trusthop.PathQuery(r))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"calledBy":"alice"`) {
		t.Errorf("signed: got %d %s, want 200 naming alice", w.Code, w.Body)
	}
}

// TestGitBackendTakesChunkedPush: a plain git push whose pack is larger
// than git's http.postBuffer (1 MiB) arrives chunked; the backend feeds it
// to git http-backend (CGI, which has no chunked input) and the ref moves.
func TestGitBackendTakesChunkedPush(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not on PATH (apt-get install -y git)")
	}
	key, _ := trusthop.New([]byte(strings.Repeat("c", trusthop.MinSecret)))
	root := t.TempDir()
	h := newGitBackend(root, git, key, slog.New(slog.NewTextHandler(io.Discard, nil)), []string{"GIT_CONFIG_NOSYSTEM=1"})
	var chunked atomic.Bool
	repoID := "00112233445566778899aabb"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked" {
			chunked.Store(true)
		}
		// What the gateway adds after the authorizer allowed the push.
		r.Header.Set("X-Trust-Decision", "allow")
		r.Header.Set("X-Trust-User", "alice")
		r.Header.Set("X-Trust-Repo-Id", repoID)
		key.Sign(r.Header, r.Method, trusthop.PathQuery(r))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	work := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+work, "GIT_TERMINAL_PROMPT=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "-b", "main")
	data := make([]byte, 3<<20)
	rand.New(rand.NewSource(1)).Read(data) // incompressible: a 3 MiB pack
	if err := os.WriteFile(filepath.Join(work, "weights.raw"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "-A")
	run("-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "-q", "-m", "big")
	head := run("rev-parse", "HEAD")
	run("push", "-q", srv.URL+"/alice/big.git", "main")
	if !chunked.Load() {
		t.Fatalf("git did not send the push chunked; the test proves nothing")
	}
	out, err := exec.Command(git, "--git-dir", filepath.Join(root, "_id", repoID+".git"), "rev-parse", "main").Output()
	if got := strings.TrimSpace(string(out)); err != nil || got != head {
		t.Fatalf("server main = %q (%v), want %s", got, err, head)
	}
	// The folder is the repository's id's: the same id reached under
	// another name (after a move) is the same repository; another id
	// under the first name is a new, empty one.
	if got := run("ls-remote", srv.URL+"/acme/renamed.git", "refs/heads/main"); !strings.HasPrefix(got, head) {
		t.Errorf("the same id under a new name: ls-remote main = %q, want %s", got, head)
	}
	repoID = "ffeeddccbbaa998877665544"
	if got := run("ls-remote", srv.URL+"/alice/big.git", "refs/heads/main"); got != "" {
		t.Errorf("another id under the old name: ls-remote main = %q, want nothing", got)
	}
}
