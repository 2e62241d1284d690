package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/authz"
)

// TestOrgTokenPolicies: "fineGrained only" refuses a member's write token
// on the organization's repositories with the reason and lets a
// fine-grained one through; "require approval" keeps a new fine-grained
// token scoped to the organization pending (refused, saying so) until an
// admin approves it; an admin revokes a member's token scoped to the
// organization, and the revocation is audited.
func TestOrgTokenPolicies(t *testing.T) {
	h := newHub(t)
	admin, member := h.signup("pol-admin"), h.signup("pol-member")
	org := uniqueName("pol-org")
	h.must(201, h.do("POST", "/api/organizations", admin.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "write"}), "add member")
	repo := uniqueName("pol-model")
	h.must(200, h.do("POST", "/api/repos/create", admin.bearer(), map[string]any{"name": repo, "organization": org, "private": true}), "create org repo")
	settings := "/api/models/" + org + "/" + repo + "/settings"
	policy := func(p string) {
		t.Helper()
		r := h.must(200, h.do("PUT", "/api/organizations/"+org+"/settings", admin.bearer(), map[string]any{"tokenPolicy": p}), "set tokenPolicy").json(t)
		if r["tokenPolicy"] != p {
			t.Fatalf("tokenPolicy: got %v, want %s", r, p)
		}
		// The authorizer applies a changed policy within authz.PolicyTTL
		// (it reads the policy item at most that often per instance).
		time.Sleep(authz.PolicyTTL + 200*time.Millisecond)
	}
	writeTok, _ := h.token(member, "write")
	h.must(200, h.do("PUT", settings, "Bearer "+writeTok, map[string]any{"private": true}), "write token before the policy")

	policy("fineGrained only")
	wantDenied(t, h.do("PUT", settings, "Bearer "+writeTok, map[string]any{"private": true}), "accepts only fine-grained tokens", "write token under fineGrained only")
	fg, _ := h.mustFineToken(member, nil, scope("org", org, "repo.write", "repo.content.read"))
	h.must(200, h.do("PUT", settings, "Bearer "+fg, map[string]any{"private": true}), "fine-grained token under fineGrained only")
	h.must(200, h.do("PUT", settings, member.bearer(), map[string]any{"private": true}), "session under fineGrained only")

	policy("require approval")
	r := h.must(201, h.fineToken(member, nil, scope("org", org, "repo.write", "repo.content.read")), "token needing approval").json(t)
	pending, pendingID := r["token"].(string), r["id"].(string)
	wantDenied(t, h.do("PUT", settings, "Bearer "+pending, map[string]any{"private": true}), "pending approval by the admins of org "+org, "pending token")
	list := h.must(200, h.do("GET", "/api/organizations/"+org+"/settings/tokens", admin.bearer(), nil), "list pending")
	if !strings.Contains(string(list.Body), pendingID) {
		t.Fatalf("pending list lacks the token: %s", list.Body)
	}
	// Members cannot approve, nor can an admin's token.
	h.must(403, h.do("POST", "/api/organizations/"+org+"/settings/tokens/"+pendingID+"/approve", member.bearer(), nil), "member approves")
	adminTok, _ := h.token(admin, "write")
	h.must(403, h.do("POST", "/api/organizations/"+org+"/settings/tokens/"+pendingID+"/approve", "Bearer "+adminTok, nil), "admin's token approves")
	h.must(200, h.do("POST", "/api/organizations/"+org+"/settings/tokens/"+pendingID+"/approve", admin.bearer(), nil), "approve")
	h.must(200, h.do("PUT", settings, "Bearer "+pending, map[string]any{"private": true}), "approved token")
	if l := h.must(200, h.do("GET", "/api/organizations/"+org+"/settings/tokens", admin.bearer(), nil), "list after approval"); strings.Contains(string(l.Body), pendingID) {
		t.Errorf("approved token still listed as pending: %s", l.Body)
	}

	// Deny keeps a second token refused.
	r = h.must(201, h.fineToken(member, nil, scope("org", org, "repo.content.read")), "second token").json(t)
	denied, deniedID := r["token"].(string), r["id"].(string)
	h.must(200, h.do("POST", "/api/organizations/"+org+"/settings/tokens/"+deniedID+"/deny", admin.bearer(), nil), "deny")
	wantDenied(t, h.do("GET", "/api/models/"+org+"/"+repo, "Bearer "+denied, nil), "pending approval", "denied token")

	// A deleted token leaves the pending list.
	r = h.must(201, h.fineToken(member, nil, scope("org", org, "repo.content.read")), "third token").json(t)
	h.must(204, h.do("DELETE", "/api/settings/tokens/"+r["id"].(string), member.bearer(), nil), "owner deletes it")
	if l := h.must(200, h.do("GET", "/api/organizations/"+org+"/settings/tokens", admin.bearer(), nil), "list after delete"); strings.Contains(string(l.Body), r["id"].(string)) {
		t.Errorf("deleted token still listed as pending: %s", l.Body)
	}

	// Revoke: only tokens scoped to the organization.
	unrelated, _ := h.mustFineToken(member, nil, scope("user", member.Name, "repo.content.read"))
	h.must(404, h.do("POST", "/api/organizations/"+org+"/settings/tokens/revoke", admin.bearer(), map[string]any{"token": unrelated}), "revoke a token not scoped to the org")
	h.must(204, h.do("POST", "/api/organizations/"+org+"/settings/tokens/revoke", admin.bearer(), map[string]any{"token": pending}), "revoke")
	h.must(401, h.do("GET", "/api/whoami-v2", "Bearer "+pending, nil), "revoked token")
	h.must(200, h.do("GET", "/api/whoami-v2", "Bearer "+unrelated, nil), "unrelated token lives")
	auditLog := h.must(200, h.do("GET", "/api/organizations/"+org+"/audit", admin.bearer(), nil), "org audit")
	var events struct {
		Events []struct{ Type string }
	}
	json.Unmarshal(auditLog.Body, &events)
	if !strings.Contains(string(auditLog.Body), "org.member_token_revoked") || !strings.Contains(string(auditLog.Body), "org.member_token_approved") {
		t.Errorf("org audit lacks the approval or the revocation: %s", auditLog.Body)
	}
}

// TestContributorRole: a contributor creates repositories in the
// organization and writes to the ones it created, reads the others like a
// read member and cannot write to them; last-admin rules are unchanged.
func TestContributorRole(t *testing.T) {
	h := newHub(t)
	admin, c := h.signup("ctb-admin"), h.signup("ctb")
	org := uniqueName("ctb-org")
	h.must(201, h.do("POST", "/api/organizations", admin.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+c.Name, admin.bearer(), map[string]any{"role": "contributor"}), "add contributor")
	theirs := uniqueName("admins")
	h.must(200, h.do("POST", "/api/repos/create", admin.bearer(), map[string]any{"name": theirs, "organization": org, "private": true}), "admin creates")
	mine := uniqueName("mine")
	h.must(200, h.do("POST", "/api/repos/create", c.bearer(), map[string]any{"name": mine, "organization": org, "private": true}), "contributor creates")
	tok, _ := h.token(c, "write")
	h.must(200, h.do("PUT", "/api/models/"+org+"/"+mine+"/settings", "Bearer "+tok, map[string]any{"private": false}), "contributor writes its own")
	h.must(200, h.do("GET", "/api/models/"+org+"/"+theirs, "Bearer "+tok, nil), "contributor reads another's")
	wantDenied(t, h.do("PUT", "/api/models/"+org+"/"+theirs+"/settings", "Bearer "+tok, map[string]any{"private": false}),
		"Contributors can only write to the repositories they created", "contributor writes another's")
	h.must(403, h.do("PUT", "/api/organizations/"+org+"/members/"+admin.Name, c.bearer(), map[string]any{"role": "read"}), "contributor manages members")
	r := h.do("PUT", "/api/organizations/"+org+"/members/"+admin.Name, admin.bearer(), map[string]any{"role": "contributor"})
	if r.Status < 400 {
		t.Fatalf("demoting the last admin to contributor: got %d %s", r.Status, r.Body)
	}
}
