package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// check clicks the checkbox or radio button named name with value.
func (b *browser) check(name, value string) {
	b.t.Helper()
	b.run("check "+name+"="+value, chromedp.Click(chromedp.CSS(`input[name="`+name+`"][value="`+value+`"]`), chromedp.NodeVisible))
}

// loginInBrowser logs u in through the login page (after logging out
// whoever is in).
func (b *browser) loginInBrowser(u hubUser) {
	b.t.Helper()
	b.open("/settings/tokens")
	if strings.Contains(b.main(), "Log out") {
		b.press("Log out", "")
	}
	b.open("/login")
	b.fill("username", u.Name)
	b.fill("password", u.Password)
	b.press("Log in", "")
	b.mustSee("log in as "+u.Name, "Access Tokens", u.Name)
}

// mailsTo counts the outbox's mails to addr.
func mailsTo(t *testing.T, addr string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(testenv.RequireEnv(t, "TRUSTLAYER_OUTBOX_DIR"), "*.json"))
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		var m struct{ To string }
		if err == nil && json.Unmarshal(raw, &m) == nil && strings.EqualFold(m.To, addr) {
			n++
		}
	}
	return n
}

// TestWebFineGrainedToken: the New token form makes a fine-grained token
// scoped to one private repository with repo.content.read and an expiry;
// it is shown once, reads that repository and gets the same 404 as a
// stranger on another private one; the list shows its permissions and
// expiry. The Emails page and the verify page resend a code to an
// unverified address, and the newest code verifies it.
func TestWebFineGrainedToken(t *testing.T) {
	h := newHub(t)
	b := newBrowser(t, 1100, 800)
	u := b.signupInBrowser("webfg")
	granted, other := uniqueName("fg-granted"), uniqueName("fg-other")
	for _, n := range []string{granted, other} {
		h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": n, "type": "model", "private": true}), "create "+n)
	}
	expires := time.Now().UTC().AddDate(0, 2, 0).Format("2006-01-02")

	b.open("/settings/tokens")
	b.fill("name", "one-repo")
	b.fill("role", "fineGrained")
	b.fill("expires", expires)
	b.fill("scope0_type", "model")
	b.fill("scope0_name", u.Name+"/"+granted)
	b.check("scope0_perm", "repo.content.read")
	b.shot("token-new-fine-grained")
	b.press("New token", "")
	b.mustSee("created", "created", "Copy your token now", "fineGrained")
	secret := b.text("#token-secret")
	if !tokenPattern.MatchString(secret) {
		t.Fatalf("shown secret %q is not a user access token", secret)
	}
	if got := h.do("GET", "/api/models/"+u.Name+"/"+granted, "Bearer "+secret, nil).Status; got != 200 {
		t.Errorf("fine-grained token on its repository: got %d, want 200", got)
	}
	if got := h.do("GET", "/api/models/"+u.Name+"/"+other, "Bearer "+secret, nil).Status; got != 404 {
		t.Errorf("fine-grained token on another private repository: got %d, want 404", got)
	}

	b.open("/settings/tokens")
	body := b.mustSee("list", "one-repo", "model "+u.Name+"/"+granted+": repo.content.read", expires+" 00:00 UTC")
	if strings.Contains(body, secret) {
		t.Fatal("the token list shows the secret again")
	}
	b.shot("tokens-fine-grained")

	// A refusal of the service shows on the page, with the form kept.
	b.fill("name", "not-mine")
	b.fill("role", "fineGrained")
	b.fill("scope0_type", "user")
	b.fill("scope0_name", h.signup("webfg-else").Name)
	b.check("scope0_perm", "repo.write")
	b.press("New token", "")
	b.mustSee("refused grant", "you can only grant permissions on your own user")
	if v := get(b, "kept name", chromedp.Evaluate[string](`document.querySelector('[name="scope0_name"]').value`)); v == "" {
		t.Errorf("refused form lost the scope name: %q", v)
	}

	// Resend for an unverified address.
	extra := uniqueName("fg-extra") + "@example.com"
	b.open("/settings/emails")
	b.fill("email", extra)
	b.press("Add email", "")
	b.mustSee("added", "We sent a verification code to "+extra)
	before := mailsTo(t, extra)
	b.press("Resend", extra)
	b.mustSee("resent", "We sent a new verification code to "+extra)
	deadline := time.Now().Add(10 * time.Second)
	for mailsTo(t, extra) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("Resend mailed nothing to %s", extra)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.shot("emails")
	// The verify page resends too, to anyone, answering alike.
	b.open("/email/verify")
	b.fill("email", extra)
	before = mailsTo(t, extra)
	b.press("Resend code", "")
	b.mustSee("resent from the verify page", "a new code is on its way")
	for deadline = time.Now().Add(10 * time.Second); mailsTo(t, extra) <= before; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Resend code mailed nothing to %s", extra)
		}
	}
	b.fill("email", extra)
	b.fill("code", readCode(t, extra))
	b.press("Verify", "")
	b.mustSee("verify the resent code", "is verified")
}

// TestWebOrgTokenApproval: an admin sets the organization's policy to
// require approval on its token page; a member (of role read) is told
// they cannot grant what they do not have, then makes an org-scoped
// fine-grained token that the list shows as pending and the API refuses;
// the admin approves it on the page and it works; the admin then revokes
// it by pasting it.
func TestWebOrgTokenApproval(t *testing.T) {
	h := newHub(t)
	b := newBrowser(t, 1100, 800)
	admin := b.signupInBrowser("webpol")
	member := h.signup("webpolmem")
	org := uniqueName("webpol-org")
	h.must(201, h.do("POST", "/api/organizations", admin.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/members/"+member.Name, admin.bearer(), map[string]any{"role": "read"}), "add member")
	repo := uniqueName("webpol-model")
	h.must(200, h.do("POST", "/api/repos/create", admin.bearer(), map[string]any{"name": repo, "organization": org, "private": true}), "create org repo")
	repoAPI := "/api/models/" + org + "/" + repo

	b.open("/organizations/" + org + "/settings/members")
	b.follow("Tokens", "")
	b.mustSee("org tokens", "Token policy", "No token waits for approval")
	b.check("policy", "require approval")
	b.press("Save", "")
	b.mustSee("policy saved", "Token policy saved: require approval")
	if r := h.must(200, h.do("GET", "/api/organizations/"+org+"/settings", admin.bearer(), nil), "settings").json(t); r["tokenPolicy"] != "require approval" {
		t.Fatalf("tokenPolicy through the API: %v", r)
	}

	b.loginInBrowser(member)
	b.fill("name", "org-ci")
	b.fill("role", "fineGrained")
	b.fill("scope0_type", "org")
	b.fill("scope0_name", org)
	b.check("scope0_perm", "repo.write")
	b.press("New token", "")
	b.mustSee("grant beyond the member's role", "you cannot grant repo.write on org "+org+": you do not have it")
	b.shot("token-grant-refused")
	b.check("scope0_perm", "repo.write") // the kept form has it ticked: untick
	b.check("scope0_perm", "repo.content.read")
	b.press("New token", "")
	b.mustSee("pending token", "Copy your token now", "waits for the approval of the admins of "+org)
	secret := b.text("#token-secret")
	wantDenied(t, h.do("GET", repoAPI, "Bearer "+secret, nil), "pending approval by the admins of org "+org, "pending token")
	b.open("/settings/tokens")
	b.mustSee("pending in the list", "org-ci", "org "+org+": repo.content.read", "pending approval by "+org)

	b.loginInBrowser(admin)
	b.open("/organizations/" + org + "/settings/tokens")
	b.mustSee("approvals", member.Name, "org-ci", "pending")
	b.shot("org-tokens")
	b.press("Approve", "org-ci")
	b.mustSee("approved", "Token approved", "No token waits for approval")
	h.must(200, h.do("GET", repoAPI, "Bearer "+secret, nil), "approved token")

	b.fill("token", secret)
	b.press("Revoke", "")
	b.mustSee("revoked", "The token was revoked")
	h.must(401, h.do("GET", "/api/whoami-v2", "Bearer "+secret, nil), "revoked token")
	b.fill("token", secret)
	b.press("Revoke", "")
	b.mustSee("revoke again", "No token scoped to this organization matches")
}
