// End-to-end tests of the web pages in a real browser (headless Chromium
// driven by chromedp) against the local stack.

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/scan/scantest"
)

var tokenPattern = regexp.MustCompile(`^hf_[A-Za-z0-9]{30,}$`)

// whoamiStatus calls the JSON API with a token, as a script would.
func whoamiStatus(h *hubClient, secret string) int {
	return h.do("GET", "/api/whoami-v2", "Bearer "+secret, nil).Status
}

// TestWebTokens: sign up, verify the email from the outbox and log in
// through the pages; create a read token and see it once; use it; refresh
// it (the old secret dies); delete it; a form posted from another origin
// changes nothing. Also checks the page works at 375 px wide.
func TestWebTokens(t *testing.T) {
	h := newHub(t)
	b := newBrowser(t, 1100, 800)
	u := b.signupInBrowser("web")
	b.shot("tokens-empty")

	b.fill("name", "laptop")
	b.fill("role", "read")
	b.press("New token", "")
	b.mustSee("created", "Copy your token now", "only time it is shown")
	secret := b.text("#token-secret")
	if !tokenPattern.MatchString(secret) {
		t.Fatalf("shown secret %q is not a user access token", secret)
	}
	b.shot("token-created")
	if got := whoamiStatus(h, secret); got != 200 {
		t.Fatalf("whoami with the new read token: got %d, want 200", got)
	}

	// Shown once: loading the list again never shows it.
	b.open("/settings/tokens")
	body := b.mustSee("list", "laptop", "read")
	if strings.Contains(body, secret) || strings.Contains(get(b, "page html", chromedp.OuterHTML(chromedp.CSS("html"))), secret) {
		t.Fatal("the token list shows the secret again")
	}
	b.shot("tokens")

	// Refresh: a new secret, shown once; the old one is dead.
	b.follow("Manage", "laptop")
	b.mustSee("manage", "Refresh", "Delete")
	b.press("Refresh", "")
	b.mustSee("refreshed", "Token refreshed", "Copy your token now")
	fresh := b.text("#token-secret")
	if fresh == secret || !tokenPattern.MatchString(fresh) {
		t.Fatalf("refresh showed %q (old %q)", fresh, secret)
	}
	if got := whoamiStatus(h, secret); got != 401 {
		t.Errorf("old secret after refresh: got %d, want 401", got)
	}
	if got := whoamiStatus(h, fresh); got != 200 {
		t.Errorf("refreshed secret: got %d, want 200", got)
	}

	// Delete, after a confirmation.
	b.open("/settings/tokens")
	b.follow("Manage", "laptop")
	b.press("Delete", "")
	b.mustSee("confirm", "cannot be undone")
	b.shot("token-delete-confirm")
	b.press("Delete", "")
	if body := b.mustSee("deleted", "Access Tokens"); strings.Contains(body, "laptop") {
		t.Errorf("deleted token still listed:\n%s", body)
	}
	if got := whoamiStatus(h, fresh); got != 401 {
		t.Errorf("deleted token: got %d, want 401", got)
	}

	checkPageHeaders(t, h, u)
	checkCrossOriginForm(t, h, b, u)

	// 375 px wide: nothing scrolls sideways.
	b.run("narrow", chromedp.EmulateViewport(375, 740))
	b.open("/settings/tokens")
	if w := get(b, "page width", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 375 {
		t.Errorf("at 375 px the page is %v px wide", w)
	}
	b.shot("tokens-375px")
}

// checkPageHeaders: the browser security headers, no-store on the page
// showing a secret, and a session cookie that authorizes pages but never
// the JSON API.
func checkPageHeaders(t *testing.T, h *hubClient, u hubUser) {
	t.Helper()
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", h.base+path, nil)
		req.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: u.Session})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get("/settings/tokens")
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(string(page), "<script>") || strings.Contains(string(page), " style=") {
		t.Error("a page has inline script or style")
	}
	// Creating a token through the page: the answer is never stored.
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
	if csrf == nil {
		t.Fatal("no CSRF field on the token page")
	}
	form := url.Values{"csrf": {csrf[1]}, "name": {"headers"}, "role": {"read"}}
	req, _ := http.NewRequest("POST", h.base+"/settings/tokens", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: u.Session})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("token secret page: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	// The cookie alone is no credential for the JSON API.
	for _, m := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(m, h.base+"/api/settings/tokens", strings.NewReader(`{"name":"x","role":"write"}`))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: u.Session})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Errorf("%s /api/settings/tokens with only the session cookie: got %d, want 401", m, res.StatusCode)
		}
	}
}

// checkCrossOriginForm: a page on another origin posts a form to ours in
// the signed-in browser (same site, so SameSite=Lax sends the cookie);
// the CSRF check refuses it and no token is made.
func checkCrossOriginForm(t *testing.T, h *hubClient, b *browser, u hubUser) {
	t.Helper()
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><main><form method="post" action="%s/settings/tokens">
<input type="hidden" name="csrf" value="guessed"><input type="hidden" name="name" value="stolen">
<input type="hidden" name="role" value="write"><button type="submit">Win a prize</button></form></main>`, b.base)
	}))
	defer evil.Close()
	b.run("open the other origin", chromedp.Navigate(evil.URL), chromedp.WaitReady(chromedp.CSS("main")))
	b.press("Win a prize", "")
	b.mustSee("cross-origin post", "not sent from this site")
	r := h.must(200, h.do("GET", "/api/settings/tokens", u.bearer(), nil), "list tokens")
	if strings.Contains(string(r.Body), "stolen") {
		t.Fatal("a form from another origin created a token")
	}
}

// TestWebSignedCommitAndScan: add a GPG key by pasting it, push a signed
// commit with real git and see Verified on the commits page; push EICAR
// with git lfs and see infected on the repository page.
func TestWebSignedCommitAndScan(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	b := newBrowser(t, 1100, 800)
	u := b.signupInBrowser("websig")
	write, _ := h.token(u, "write")

	env := gittest.New(t)
	fpr := env.GenKey("Web Signer <"+u.Email+">", "ed25519", "sign", "never", 0)
	b.open("/settings/gpg-keys")
	b.fill("key", env.Export(fpr))
	b.press("Add key", "")
	b.mustSee("gpg key", "added", fpr, u.Email, "active")
	b.shot("gpg-keys")

	// SSH: the page shows the ssh-keygen command that proves possession;
	// running it as shown makes a signature the upload accepts.
	b.open("/settings/ssh-keys")
	cmd := b.text("#ssh-sign")
	m := regexp.MustCompile(`^printf %s '([0-9a-zA-Z_-]+)' \| ssh-keygen -Y sign -n (\S+) -f ~/\.ssh/id_ed25519$`).FindStringSubmatch(cmd)
	if m == nil {
		t.Fatalf("SSH page shows %q, not the ssh-keygen -Y sign command", cmd)
	}
	priv, pub := env.SSHKey("web", "ed25519")
	sig := env.Cmd(env.Root, nil, []byte(m[1]), "ssh-keygen", "-Y", "sign", "-n", m[2], "-f", priv)
	b.fill("title", "laptop")
	b.fill("key", pub)
	b.fill("signature", string(sig))
	b.press("Add key", "")
	b.mustSee("ssh key", "added", "laptop", "SHA256:")
	b.shot("ssh-keys")

	// A signed commit, pushed with git: the git server's hook records its
	// verification at push time, and the commits page lists main's commits
	// with their badges. No other call is made.
	name := uniqueName("signed")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "type": "model"}), "create repo")
	repo := env.NewRepo("r", "sha1")
	id := repo.Commit("Web Signer", u.Email, gittest.Signer{Format: "openpgp", Key: fpr}, "train: new weights")
	unsigned := repo.Commit("Web Signer", u.Email, gittest.Signer{}, "docs: readme")
	repo.Git("Web Signer", u.Email, gittest.Signer{}, "push", "-q", remoteURL(t, h.base, "hf_user", write, "/"+u.Name+"/"+name+".git"), "main")
	waitIndexed(t, h.base, "/api/models/"+u.Name+"/"+name, "Bearer "+write, "main", unsigned)
	b.open("/" + u.Name + "/" + name + "/commits/main")
	b.mustSee("commits", id[:10], "Verified", unsigned[:10], "Unsigned")
	b.shot("commits")

	// EICAR through git lfs: infected after a reload or a few.
	a := account{user: u.Name, token: write, repo: uniqueName("scan")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create repo")
	safe := scantest.Safetensors(4096)
	s.push(t, a, map[string][]byte{"eicar.bin": []byte(scantest.EICAR), "model.safetensors": safe})
	b.open("/" + a.user + "/" + a.repo)
	b.mustSee("repo page", "eicar.bin", "model.safetensors")
	deadline := time.Now().Add(60 * time.Second)
	for {
		row := b.text(`tr:has(a[href$="/eicar.bin"])`)
		if strings.Contains(row, "infected") && strings.Contains(b.text(`tr:has(a[href$="/model.safetensors"])`), "ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("EICAR never showed infected: %q", row)
		}
		time.Sleep(500 * time.Millisecond)
		b.open("/" + a.user + "/" + a.repo)
	}
	b.shot("repo-files")
	b.follow("eicar.bin", "")
	if report := b.mustSee("scan report", "infected", "ClamAV"); strings.Contains(report, "no virus found") || strings.Contains(report, "no verdict") {
		t.Errorf("the report of an infected file names no virus:\n%s", report)
	}
	b.shot("file-infected")
}

// TestWebOrgMembers: an admin creates an organization, invites a member
// by user name, changes the role, and cannot leave as the last admin.
func TestWebOrgMembers(t *testing.T) {
	h := newHub(t)
	b := newBrowser(t, 1100, 800)
	admin := b.signupInBrowser("webadm")
	member := h.signup("webmem")

	org := uniqueName("org")
	b.open("/organizations/new")
	b.fill("name", org)
	b.press("Create organization", "")
	b.mustSee("members", org, admin.Name, "admin")
	b.fill("username", member.Name)
	b.fill("role", "read")
	b.press("Invite", "")
	b.mustSee("invited", member.Name+" is now a member with role read")
	b.run("pick write", chromedp.SetValue(chromedp.CSS(`select[aria-label="Role of `+member.Name+`"]`), "write"))
	b.press("Save", member.Name)
	b.mustSee("role changed", member.Name+" now has role write")
	r := h.must(200, h.do("GET", "/api/organizations/"+org+"/members", member.bearer(), nil), "members")
	if !strings.Contains(string(r.Body), `"write"`) {
		t.Errorf("member role through the API: %s", r.Body)
	}
	b.press("Leave", admin.Name)
	b.mustSee("last admin", "always keeps at least one admin", "last admin")
	b.shot("org-members")
	b.open("/" + org)
	b.mustSee("org page", org, "Repositories")
}
