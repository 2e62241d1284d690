package devstack

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	allow := map[string]string{"X-Trust-Decision": "allow", "X-Trust-User": "alice"}
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
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, tt.req)
		if w.Code != tt.want {
			t.Errorf("%s: got %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
		if _, err := os.Stat(filepath.Join(root, "alice", tt.repo+".git")); err == nil {
			t.Errorf("%s: refused request created repository alice/%s.git", tt.name, tt.repo)
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
