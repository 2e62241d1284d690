// Invariant 9 (docs/invariants.md): approval is decided when a token is
// used, from the organization that owns the resource now.

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestInvariantApprovalDecidedAtUse: a fine-grained token scoped to its
// owner's own repository needs no approval; once the repository moves into
// an organization that requires approval, the token is refused there on
// every path (API, resolve, git clone and push over HTTP, LFS batch) until
// an admin approves it, and the admin finds it in the pending list
// without the owner doing anything. A session keeps working throughout.
func TestInvariantApprovalDecidedAtUse(t *testing.T) {
	testenv.RequireTool(t, "git")
	h := newHub(t)
	admin, u := h.signup("inv9-admin"), h.signup("inv9")
	org := uniqueName("inv9-org")
	h.must(201, h.do("POST", "/api/organizations", admin.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+u.Name, admin.bearer(), map[string]any{"role": "write"}), "add member")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/settings", admin.bearer(), map[string]any{"tokenPolicy": "require approval"}), "require approval")

	name := uniqueName("inv9-model")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "private": true}), "create own repo")
	fg, fgID := h.mustFineToken(u, nil, scope("model", u.Name+"/"+name, "repo.content.read", "repo.write"))
	if out, err := pushFile(t, remoteURL(t, h.base, "hf_user", fg, "/"+u.Name+"/"+name+".git")); err != nil {
		t.Fatalf("push to one's own repository: %v %s", err, out)
	}
	h.must(200, h.do("GET", "/api/models/"+u.Name+"/"+name, "Bearer "+fg, nil), "read own repo")

	shown := func(wantPending bool, when string) {
		t.Helper()
		badge := "pending approval by " + org
		req, _ := http.NewRequest("GET", h.base+"/settings/tokens", nil)
		req.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: u.Session})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || strings.Contains(string(page), badge) != wantPending {
			t.Errorf("token page %s: %d, shows %q: %v, want %v", when, res.StatusCode, badge, strings.Contains(string(page), badge), wantPending)
		}
		var list []struct {
			ID          string `json:"id"`
			FineGrained *struct {
				PendingApproval []string `json:"pendingApproval"`
			} `json:"fineGrained"`
		}
		if err := json.Unmarshal(h.must(200, h.do("GET", "/api/settings/tokens", u.bearer(), nil), "list tokens").Body, &list); err != nil {
			t.Fatal(err)
		}
		for _, tok := range list {
			if tok.ID == fgID && (tok.FineGrained == nil || slices.Contains(tok.FineGrained.PendingApproval, org) != wantPending) {
				t.Errorf("token list %s: %+v, want pending in %s: %v", when, tok.FineGrained, org, wantPending)
			}
		}
	}
	shown(false, "before the move")
	h.must(200, h.do("POST", "/api/repos/move", u.bearer(), map[string]any{"fromRepo": u.Name + "/" + name, "toRepo": org + "/" + name}), "move into the org")
	// Shown pending at once, before any use has asked the org: the page
	// decides as a request does (Grant.PendingIn, the org's policy now).
	shown(true, "after the move, before any use")
	// The authorizer reads an org's policy at most once per PolicyTTL.
	time.Sleep(authz.PolicyTTL + 200*time.Millisecond)

	base := "/" + org + "/" + name
	// A file committed after the move (by a classic write token, which no
	// approval concerns), so the paths below have bytes to serve whether
	// or not the git server's copy followed the move (invariant 12).
	writeTok, _ := h.token(u, "write")
	work := filepath.Join(t.TempDir(), "work")
	if out, err := gitRun(t, filepath.Dir(work), "clone", "-q", remoteURL(t, h.base, "hf_user", writeTok, base+".git"), work); err != nil {
		t.Fatalf("clone with a write token: %v %s", err, out)
	}
	os.WriteFile(filepath.Join(work, "moved.txt"), []byte("in the org now\n"), 0o644)
	gitRun(t, work, "add", ".")
	gitRun(t, work, "commit", "-q", "-m", "after the move")
	if out, err := gitRun(t, work, "push", "-q", "origin", "HEAD:main"); err != nil {
		t.Fatalf("push with a write token after the move: %v %s", err, out)
	}
	reason := "pending approval by the admins of org " + org
	paths := func(wantOK bool) {
		t.Helper()
		want := 403
		if wantOK {
			want = 200
		}
		check := func(r hubResponse, what string) {
			t.Helper()
			if r.Status != want {
				t.Errorf("%s: got %d %s, want %d", what, r.Status, r.Body, want)
			} else if !wantOK && !strings.Contains(string(r.Body)+r.Header.Get("X-Error-Message"), reason) {
				t.Errorf("%s: refusal does not say %q: %s", what, reason, r.Body)
			}
		}
		check(h.do("GET", "/api/models"+base, "Bearer "+fg, nil), "API repo info")
		check(h.do("GET", "/api/models"+base+"/tree/main", "Bearer "+fg, nil), "API tree")
		res := h.do("GET", base+"/resolve/main/moved.txt", "Bearer "+fg, nil)
		for i := 0; wantOK && res.Status == 409 && i < 60; i++ { // until the scan's verdict
			time.Sleep(time.Second)
			res = h.do("GET", base+"/resolve/main/moved.txt", "Bearer "+fg, nil)
		}
		check(res, "resolve")
		check(h.do("GET", base+".git/info/refs?service=git-upload-pack", basicAuth("hf_user", fg), nil), "git clone handshake")
		check(h.do("GET", base+".git/info/refs?service=git-receive-pack", basicAuth("hf_user", fg), nil), "git push handshake")
		batch := h.do("POST", base+".git/info/lfs/objects/batch", basicAuth("hf_user", fg), map[string]any{
			"operation": "download", "objects": []map[string]any{{"oid": strings.Repeat("ab", 32), "size": 1}}})
		check(batch, "LFS batch")

		clone := filepath.Join(t.TempDir(), "clone")
		out, err := gitRun(t, filepath.Dir(clone), "clone", "-q", remoteURL(t, h.base, "hf_user", fg, base+".git"), clone)
		if wantOK && err != nil {
			t.Errorf("git clone: %v %s", err, out)
		}
		if !wantOK {
			if err == nil {
				t.Errorf("git clone with a pending token succeeded")
			} else if !strings.Contains(out, reason) {
				t.Errorf("git clone refusal does not say %q: %s", reason, out)
			}
			if _, err := os.Stat(filepath.Join(clone, "moved.txt")); err == nil {
				t.Errorf("git clone with a pending token delivered the file")
			}
		}
		if !wantOK {
			if out, err := pushFile(t, remoteURL(t, h.base, "hf_user", fg, base+".git")); err == nil || !strings.Contains(out, reason) {
				t.Errorf("git push with a pending token: err %v, want a refusal saying %q: %s", err, reason, out)
			}
			return
		}
		os.WriteFile(filepath.Join(clone, "more.txt"), []byte("approved\n"), 0o644)
		gitRun(t, clone, "add", ".")
		gitRun(t, clone, "commit", "-q", "-m", "after approval")
		if out, err := gitRun(t, clone, "push", "-q", "origin", "HEAD:main"); err != nil {
			t.Errorf("git push after approval: %v %s", err, out)
		}
	}
	paths(false)
	// The owner's session is not a token: unaffected.
	h.must(200, h.do("GET", "/api/models"+base, u.bearer(), nil), "session reads the moved repo")

	list := h.must(200, h.do("GET", "/api/organizations/"+org+"/settings/tokens", admin.bearer(), nil), "list pending")
	if !strings.Contains(string(list.Body), fgID) {
		t.Fatalf("the admins' pending list lacks the token refused after the move: %s", list.Body)
	}
	h.must(200, h.do("POST", "/api/organizations/"+org+"/settings/tokens/"+fgID+"/approve", admin.bearer(), nil), "approve")
	shown(false, "after approval")
	paths(true)
}
