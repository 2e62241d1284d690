package e2e

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// gitRun runs git with a throwaway HOME and no credential helpers.
func gitRun(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false",
		"GIT_AUTHOR_NAME=E2E", "GIT_AUTHOR_EMAIL=e2e@example.com", "GIT_COMMITTER_NAME=E2E", "GIT_COMMITTER_EMAIL=e2e@example.com")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func remoteURL(t testing.TB, base, user, secret, path string) string {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, secret)
	u.Path = path
	return u.String()
}

// TestGitOverHTTP: the real git client against a git http-backend behind
// the local gateway, with decisions from the one policy: clone of a private
// repo with a read token works, push with a read token is refused, push
// with a write token works; a real password is refused.
func TestGitOverHTTP(t *testing.T) {
	testenv.RequireTool(t, "git")
	h := newHub(t)
	u := h.signup("git")
	readTok, _ := h.token(u, "read")
	writeTok, _ := h.token(u, "write")
	name := uniqueName("private-model")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "type": "model", "private": true}), "create repo")

	work := t.TempDir()
	src := filepath.Join(work, "src")
	if out, err := gitRun(t, work, "init", "-q", "-b", "main", src); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(src, "README.md"), []byte("# model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, src, "add", ".")
	if out, err := gitRun(t, src, "commit", "-q", "-m", "first"); err != nil {
		t.Fatalf("commit: %v %s", err, out)
	}
	path := "/" + u.Name + "/" + name + ".git"
	if out, err := gitRun(t, src, "push", remoteURL(t, h.base, "hf_user", readTok, path), "main"); err == nil {
		t.Fatalf("push with a read token succeeded: %s", out)
	}
	if out, err := gitRun(t, src, "push", remoteURL(t, h.base, "hf_user", writeTok, path), "main"); err != nil {
		t.Fatalf("push with a write token: %v %s", err, out)
	}
	clone := filepath.Join(work, "clone")
	if out, err := gitRun(t, work, "clone", "-q", remoteURL(t, h.base, "hf_user", readTok, path), clone); err != nil {
		t.Fatalf("clone with a read token: %v %s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(clone, "README.md")); err != nil || string(b) != "# model\n" {
		t.Fatalf("cloned content: %q %v", b, err)
	}
	// Another user cannot even see it; a password is refused with the Hub's message.
	other := h.signup("stranger")
	otherTok, _ := h.token(other, "write")
	if out, err := gitRun(t, work, "clone", "-q", remoteURL(t, h.base, "x", otherTok, path), filepath.Join(work, "c2")); err == nil {
		t.Fatalf("stranger cloned a private repo: %s", out)
	}
	r := h.do("GET", path+"/info/refs?service=git-upload-pack", basicAuth(u.Name, u.Password), nil)
	if r.Status == 200 {
		t.Fatalf("git with a password: got 200, want a refusal")
	}
	fa := h.forwardAuth(path+"/info/refs?service=git-upload-pack", basicAuth(u.Name, u.Password))
	if fa.Status != 401 || !strings.Contains(string(fa.Body), "Password authentication in git is no longer supported") {
		t.Fatalf("forward-auth with a password: got %d %s", fa.Status, fa.Body)
	}
}

// TestOrgDemotionAndOrgToken: demoting a member from write to read takes
// their write token's write rights away on the next request; a deleted org
// token stops working.
func TestOrgDemotionAndOrgToken(t *testing.T) {
	h := newHub(t)
	admin := h.signup("admin")
	member := h.signup("member")
	org := uniqueName("org")
	h.must(201, h.do("POST", "/api/organizations", admin.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "write"}), "add member")
	repo := uniqueName("org-model")
	h.must(200, h.do("POST", "/api/repos/create", admin.bearer(), map[string]any{"name": repo, "organization": org, "private": true}), "create org repo")
	memberWrite, _ := h.token(member, "write")

	settings := "/api/models/" + org + "/" + repo + "/settings"
	h.must(200, h.do("PUT", settings, "Bearer "+memberWrite, map[string]any{"requireSignedCommits": false}), "write member changes settings")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "read"}), "demote")
	r := h.do("PUT", settings, "Bearer "+memberWrite, map[string]any{"requireSignedCommits": false})
	if r.Status != 403 {
		t.Fatalf("after demotion: got %d %s, want 403", r.Status, r.Body)
	}
	h.must(200, h.do("GET", "/api/models/"+org+"/"+repo, "Bearer "+memberWrite, nil), "demoted member still reads")

	// Org token: read access to the org's private repo, until deleted.
	tr := h.must(200, h.do("POST", "/api/organizations/"+org+"/token/refresh", admin.bearer(), nil), "refresh org token").json(t)
	orgTok, _ := tr["token"].(string)
	if !strings.HasPrefix(orgTok, "api_org_") {
		t.Fatalf("org token: got %v", tr)
	}
	h.must(200, h.do("GET", "/api/models/"+org+"/"+repo, "Bearer "+orgTok, nil), "org token reads")
	h.must(204, h.do("DELETE", "/api/organizations/"+org+"/token", admin.bearer(), nil), "delete org token")
	h.must(401, h.do("GET", "/api/models/"+org+"/"+repo, "Bearer "+orgTok, nil), "deleted org token")
}

// TestInferenceAPI: the custom authorizer in front of the Inference API.
func TestInferenceAPI(t *testing.T) {
	h := newHub(t)
	inf := strings.TrimRight(testenv.RequireEnv(t, "TRUSTLAYER_INFERENCE_URL_PUBLIC"), "/")
	u := h.signup("infer")
	readTok, _ := h.token(u, "read")
	name := uniqueName("private-llm")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "private": true}), "create repo")
	call := func(auth string) hubResponse {
		c := &hubClient{t: t, base: inf}
		return c.do("POST", "/models/"+u.Name+"/"+name, auth, map[string]any{"inputs": "hello"})
	}
	r := call("Bearer " + readTok)
	if r.Status != 200 || !strings.Contains(string(r.Body), u.Name+"/"+name) || !strings.Contains(string(r.Body), u.Name) {
		t.Fatalf("inference with a read token: got %d %s", r.Status, r.Body)
	}
	if r := call(""); r.Status != 401 {
		t.Fatalf("inference without a token: got %d %s, want 401", r.Status, r.Body)
	}
	stranger := h.signup("infer-stranger")
	st, _ := h.token(stranger, "read")
	if r := call("Bearer " + st); r.Status != 403 {
		t.Fatalf("inference on another's private model: got %d %s, want 403", r.Status, r.Body)
	}
}

// TestGatewayEdges: bad paths, oversized headers, malformed basic auth and
// unknown routes are refused with the right status.
func TestGatewayEdges(t *testing.T) {
	h := newHub(t)
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"unknown route", "GET", "/api/no/such/route", "", 404},
		{"malformed basic auth", "GET", "/api/whoami-v2", "Basic %%%", 400},
		{"basic without colon", "GET", "/api/whoami-v2", "Basic " + b64("nocolon"), 400},
		{"oversized authorization", "GET", "/api/whoami-v2", "Bearer " + strings.Repeat("a", 5000), 400},
		{"unknown scheme", "GET", "/api/whoami-v2", "Digest abc", 401},
		{"bad repo name", "GET", "/api/models/a/b;rm", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, tt.auth, nil)
			if r.Status != tt.want {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tt.want)
			}
		})
	}
}
