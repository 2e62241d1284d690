package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// scope is one scope of a fine-grained token request.
func scope(typ, name string, perms ...string) map[string]any {
	return map[string]any{"entity": map[string]string{"type": typ, "name": name}, "permissions": perms}
}

// fineToken creates a fine-grained token for u and returns the response.
func (h *hubClient) fineToken(u hubUser, global []string, scopes ...map[string]any) hubResponse {
	h.t.Helper()
	fg := map[string]any{"scoped": scopes}
	if global != nil {
		fg["global"] = global
	}
	return h.do("POST", "/api/settings/tokens", u.bearer(), map[string]any{"name": uniqueName("fg"), "role": "fineGrained", "fineGrained": fg})
}

func (h *hubClient) mustFineToken(u hubUser, global []string, scopes ...map[string]any) (secret, id string) {
	h.t.Helper()
	m := h.must(201, h.fineToken(u, global, scopes...), "create fine-grained token").json(h.t)
	return m["token"].(string), m["id"].(string)
}

// wantDenied checks a 403 whose JSON error and X-Error-Message both say
// reason.
func wantDenied(t *testing.T, r hubResponse, reason, what string) {
	t.Helper()
	if r.Status != 403 {
		t.Fatalf("%s: got %d %s, want 403", what, r.Status, r.Body)
	}
	var body struct{ Error string }
	json.Unmarshal(r.Body, &body)
	if !strings.Contains(body.Error, reason) || !strings.Contains(r.Header.Get("X-Error-Message"), reason) {
		t.Fatalf("%s: error %q, X-Error-Message %q, want both to say %q", what, body.Error, r.Header.Get("X-Error-Message"), reason)
	}
}

// pushFile commits one file into a fresh repository and pushes it.
func pushFile(t *testing.T, remote string) (string, error) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	if out, err := gitRun(t, filepath.Dir(src), "init", "-q", "-b", "main", src); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	os.WriteFile(filepath.Join(src, "config.json"), []byte(`{"model_type":"llama"}`+"\n"), 0o644)
	gitRun(t, src, "add", ".")
	if out, err := gitRun(t, src, "commit", "-q", "-m", "add config"); err != nil {
		t.Fatalf("commit: %v %s", err, out)
	}
	return gitRun(t, src, "push", "-q", remote, "main")
}

// TestFineGrainedRepoScope: a token scoped to one repository with
// repo.content.read clones it and lists its files, cannot push (the 403
// names the permission), cannot see a second private repository (404) and
// cannot call inference; with inference.serverless.write it can. The scope
// follows a rename, and whoami-v2 and the token list show the grant with
// the current name.
func TestFineGrainedRepoScope(t *testing.T) {
	testenv.RequireTool(t, "git")
	h := newHub(t)
	inf := &hubClient{t: t, base: strings.TrimRight(testenv.RequireEnv(t, "TRUSTLAYER_INFERENCE_URL_PUBLIC"), "/")}
	u := h.signup("fg")
	writeTok, _ := h.token(u, "write")
	a, b := uniqueName("tiny-llm"), uniqueName("other")
	for _, n := range []string{a, b} {
		h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": n, "private": true}), "create repo")
	}
	pathA := "/" + u.Name + "/" + a + ".git"
	if out, err := pushFile(t, remoteURL(t, h.base, "hf_user", writeTok, pathA)); err != nil {
		t.Fatalf("push with a write token: %v %s", err, out)
	}

	fg, fgID := h.mustFineToken(u, nil, scope("model", u.Name+"/"+a, "repo.content.read"))
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := gitRun(t, filepath.Dir(clone), "clone", "-q", remoteURL(t, h.base, "hf_user", fg, pathA), clone); err != nil {
		t.Fatalf("clone with repo.content.read: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(clone, "config.json")); err != nil {
		t.Fatalf("cloned file: %v", err)
	}
	h.must(200, h.do("GET", "/api/models/"+u.Name+"/"+a+"/tree/main", "Bearer "+fg, nil), "list files")

	if out, err := pushFile(t, remoteURL(t, h.base, "hf_user", fg, pathA)); err == nil {
		t.Fatalf("push with repo.content.read succeeded: %s", out)
	}
	missing := "This token is missing the permission repo.write on model " + u.Name + "/" + a
	// The git server answers git's way (text), with the same reason.
	if r := h.do("GET", pathA+"/info/refs?service=git-receive-pack", basicAuth("hf_user", fg), nil); r.Status != 403 ||
		!strings.Contains(string(r.Body), missing) || r.Header.Get("X-Error-Message") != missing {
		t.Fatalf("git push handshake: got %d %q (X-Error-Message %q), want 403 saying %q", r.Status, r.Body, r.Header.Get("X-Error-Message"), missing)
	}
	wantDenied(t, h.do("PUT", "/api/models/"+u.Name+"/"+a+"/settings", "Bearer "+fg, map[string]any{"private": true}), missing, "settings")
	h.must(404, h.do("GET", "/api/models/"+u.Name+"/"+b, "Bearer "+fg, nil), "second private repo")

	call := func(tok string) hubResponse {
		return inf.do("POST", "/models/"+u.Name+"/"+a, "Bearer "+tok, map[string]any{"inputs": "hello"})
	}
	wantDenied(t, call(fg), "This token is missing the permission inference.serverless.write on model "+u.Name+"/"+a, "inference without the permission")
	fgInf, _ := h.mustFineToken(u, []string{"inference.serverless.write"}, scope("model", u.Name+"/"+a, "repo.content.read"))
	h.must(200, call(fgInf), "inference with inference.serverless.write")

	// Read tokens say what they cannot do.
	readTok, _ := h.token(u, "read")
	wantDenied(t, h.do("PUT", "/api/models/"+u.Name+"/"+a+"/settings", "Bearer "+readTok, map[string]any{"private": true}),
		"read token cannot change the settings of model "+u.Name+"/"+a, "read token settings")

	// Rename: the scope binds to the repository id.
	renamed := uniqueName("renamed")
	h.must(200, h.do("POST", "/api/repos/move", u.bearer(), map[string]any{"fromRepo": u.Name + "/" + a, "toRepo": u.Name + "/" + renamed}), "rename")
	h.must(200, h.do("GET", "/api/models/"+u.Name+"/"+renamed, "Bearer "+fg, nil), "read the renamed repo")

	who := h.must(200, h.do("GET", "/api/whoami-v2", "Bearer "+fg, nil), "whoami").json(t)
	at := who["auth"].(map[string]any)["accessToken"].(map[string]any)
	if at["role"] != "fineGrained" {
		t.Fatalf("whoami role: %v", at)
	}
	raw, _ := json.Marshal(at["fineGrained"])
	var block struct {
		Global []string
		Scoped []struct {
			Entity struct {
				ID   string `json:"_id"`
				Type string
				Name string
			}
			Permissions []string
		}
		CanReadGatedRepos *bool
	}
	if err := json.Unmarshal(raw, &block); err != nil || len(block.Scoped) != 1 || block.CanReadGatedRepos == nil || block.Global == nil {
		t.Fatalf("whoami fineGrained: %s", raw)
	}
	s := block.Scoped[0]
	if s.Entity.Type != "model" || s.Entity.Name != u.Name+"/"+renamed || s.Entity.ID == "" || len(s.Permissions) != 1 || s.Permissions[0] != "repo.content.read" {
		t.Errorf("whoami scope: got %+v, want model %s/%s with repo.content.read", s, u.Name, renamed)
	}
	list := h.must(200, h.do("GET", "/api/settings/tokens", u.bearer(), nil), "list tokens")
	var tokens []struct {
		ID          string
		Role        string
		FineGrained *struct {
			Scoped []struct {
				Entity struct{ Name string }
			}
		}
	}
	json.Unmarshal(list.Body, &tokens)
	found := false
	for _, tk := range tokens {
		if tk.ID == fgID {
			found = tk.Role == "fineGrained" && tk.FineGrained != nil && len(tk.FineGrained.Scoped) == 1 && tk.FineGrained.Scoped[0].Entity.Name == u.Name+"/"+renamed
		}
	}
	if !found {
		t.Errorf("token list does not show the grant with the current name: %s", list.Body)
	}
}

// TestFineGrainedOrgScope: a token scoped to an organization with
// repo.write and org.write pushes to and configures every repository of
// the organization and creates repositories there, but none outside;
// demoting its owner takes write away on the next request. Grants beyond
// the creator's rights, unknown permissions and empty scopes are refused.
func TestFineGrainedOrgScope(t *testing.T) {
	testenv.RequireTool(t, "git")
	h := newHub(t)
	admin, member := h.signup("fg-admin"), h.signup("fg-member")
	org := uniqueName("fg-org")
	h.must(201, h.do("POST", "/api/organizations", admin.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "read"}), "add member")

	// A read member cannot grant repo.write on the org.
	r := h.fineToken(member, nil, scope("org", org, "repo.write"))
	if r.Status != 403 || !strings.Contains(string(r.Body), "repo.write") {
		t.Fatalf("granting beyond one's rights: got %d %s, want 403 naming repo.write", r.Status, r.Body)
	}
	for _, bad := range []map[string]any{scope("org", org, "repo.delete"), scope("org", org), scope("space", "nobody/none", "repo.content.read")} {
		if r := h.fineToken(member, nil, bad); r.Status != 400 && r.Status != 404 {
			t.Errorf("bad scope %v: got %d %s, want 400 or 404", bad, r.Status, r.Body)
		}
	}
	if r := h.fineToken(member, nil); r.Status != 400 {
		t.Errorf("no scope: got %d %s, want 400", r.Status, r.Body)
	}

	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "write"}), "promote")
	fg, _ := h.mustFineToken(member, nil, scope("org", org, "repo.write", "org.write", "repo.content.read"))
	var repos []string
	for i := 0; i < 2; i++ {
		n := uniqueName("org-model")
		h.must(200, h.do("POST", "/api/repos/create", admin.bearer(), map[string]any{"name": n, "organization": org, "private": true}), "create org repo")
		repos = append(repos, n)
	}
	for _, n := range repos {
		h.must(200, h.do("PUT", "/api/models/"+org+"/"+n+"/settings", "Bearer "+fg, map[string]any{"private": true}), "configure org repo")
		if out, err := pushFile(t, remoteURL(t, h.base, "hf_user", fg, "/"+org+"/"+n+".git")); err != nil {
			t.Fatalf("push to org repo: %v %s", err, out)
		}
	}
	h.must(200, h.do("POST", "/api/repos/create", "Bearer "+fg, map[string]any{"name": uniqueName("new"), "organization": org}), "create in the org")
	wantDenied(t, h.do("POST", "/api/repos/create", "Bearer "+fg, map[string]any{"name": uniqueName("mine")}),
		"This token is missing the permission repo.write on user "+member.Name, "create outside the org")

	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "read"}), "demote")
	r = h.do("PUT", "/api/models/"+org+"/"+repos[0]+"/settings", "Bearer "+fg, map[string]any{"private": true})
	if r.Status != 403 {
		t.Fatalf("after demotion: got %d %s, want 403", r.Status, r.Body)
	}
	h.must(200, h.do("GET", "/api/models/"+org+"/"+repos[0], "Bearer "+fg, nil), "demoted owner's token still reads")
}
