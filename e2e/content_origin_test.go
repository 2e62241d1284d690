// End-to-end tests of invariant 1 (docs/invariants.md): no repository
// content ever runs on the hub's origin. Hostile HTML, SVG and
// extension-less HTML pushed with git and committed through the commit
// API are fetched by every path that serves repository bytes (resolve,
// raw, HEAD, ranges, the LFS redirect and the LFS batch download), and
// opened in Chromium by a logged-in user.

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// hostileScript, run on the hub's origin by a logged-in user's browser,
// reads the CSRF field of the token page and creates a write token named
// name, as the reported attack did; it marks the document's title "ran"
// as soon as it runs and "ran-token" once the token is made.
func hostileScript(name string) string {
	return `document.title = "ran";
fetch("/settings/tokens", {credentials: "include"}).then(function (r) { return r.text(); }).then(function (t) {
  var m = t.match(/name="csrf" value="([^"]+)"/);
  var f = new URLSearchParams({csrf: m[1], name: "` + name + `", role: "write"});
  return fetch("/settings/tokens", {method: "POST", body: f, credentials: "include"});
}).then(function () { document.title = "ran-token"; });`
}

func hostileHTML(name string) []byte {
	return []byte("<!doctype html><html><head><title>evil</title></head><body><h1>evil</h1><script>" + hostileScript(name) + "</script></body></html>\n")
}

func hostileSVG(name string) []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script><![CDATA[` + hostileScript(name) + `]]></script></svg>` + "\n")
}

// waitServed retries a download that answers 409 with Retry-After (the
// file's scan has no verdict yet) until it answers otherwise, as a client
// is told to.
func waitServed(t *testing.T, u string) {
	t.Helper()
	for i := 0; i < 90; i++ {
		r := fetch(t, "HEAD", u, "")
		if r.status != 409 || r.header.Get("Retry-After") == "" {
			return
		}
		time.Sleep(time.Second)
	}
}

// renderable are the headers no browser renders active content under.
func wantInert(t *testing.T, what string, h http.Header) {
	t.Helper()
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, got)
	}
	if got := h.Get("Content-Security-Policy"); got != "sandbox; default-src 'none'" {
		t.Errorf("%s: Content-Security-Policy %q, want sandbox; default-src 'none'", what, got)
	}
	ct := strings.ToLower(h.Get("Content-Type"))
	for _, bad := range []string{"html", "svg", "xml", "javascript", "ecmascript"} {
		if strings.Contains(ct, bad) {
			t.Errorf("%s: Content-Type %q can render", what, ct)
		}
	}
	if ct != "application/octet-stream" && !strings.HasPrefix(ct, "text/plain") && ct != "application/json" && !strings.HasPrefix(ct, "image/") {
		t.Errorf("%s: Content-Type %q is not one of the inert types", what, ct)
	}
	if ct == "application/octet-stream" && !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("%s: Content-Disposition %q, want attachment", what, h.Get("Content-Disposition"))
	}
}

// TestRepositoryContentIsInert: every answer carrying repository bytes
// (resolve and raw, GET, HEAD and a range; a git push and a commit-API
// commit; the LFS redirect's target and the LFS batch download's href)
// has nosniff, the sandbox CSP and a non-renderable type, and the bytes
// and the headers the Hugging Face clients read are unchanged.
func TestRepositoryContentIsInert(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t) // public
	html, svg := hostileHTML("pwned"), hostileSVG("pwned")
	lfsHTML := append(hostileHTML("pwned-lfs"), []byte(strings.Repeat("<!-- pad -->", 10))...)
	s.push(t, a, map[string][]byte{
		"evil.html":       html,
		"evil.svg":        svg,
		"evil":            html, // no extension
		"docs/EVIL.HTM":   html,
		"evil.xhtml":      html,
		"sniff.txt":       html, // HTML bytes under an inert type
		"config.json":     []byte(`{"a": 1}` + "\n"),
		"evil.bin":        lfsHTML, // LFS: redirected to the bucket
		"name\"quote.svg": svg,
	})
	if st, _, msg := s.commitAPI(t, a, "main", header("Add by API", ""), fileOp("api/evil.html", string(html))); st != 200 {
		t.Fatalf("commit API: %d %s", st, msg)
	}
	head := s.remoteHead(t, a)
	base := s.gateway + "/" + a.user + "/" + a.repo
	inline := map[string][]byte{"evil.html": html, "evil.svg": svg, "evil": html, "docs/EVIL.HTM": html, "evil.xhtml": html,
		"sniff.txt": html, "config.json": []byte(`{"a": 1}` + "\n"), "name%22quote.svg": svg, "api/evil.html": html}
	for p := range inline {
		waitServed(t, base+"/resolve/main/"+p)
	}
	waitServed(t, base+"/resolve/main/evil.bin")
	for p, want := range inline {
		for _, op := range []string{"resolve", "raw"} {
			u := base + "/" + op + "/main/" + p
			r := fetch(t, "GET", u, "")
			if r.status != 200 || string(r.body) != string(want) {
				t.Errorf("GET %s: %d, bytes changed: %q", u, r.status, r.body)
				continue
			}
			wantInert(t, "GET "+op+" "+p, r.header)
			if r.header.Get("X-Repo-Commit") != head || r.header.Get("ETag") != `"`+blobID(want)+`"` {
				t.Errorf("GET %s: X-Repo-Commit %q ETag %q, want %s and the blob id", u, r.header.Get("X-Repo-Commit"), r.header.Get("ETag"), head)
			}
			h := fetch(t, "HEAD", u, "")
			wantInert(t, "HEAD "+op+" "+p, h.header)
			g := fetch(t, "GET", u, "", "Range", "bytes=0-4")
			if g.status != 206 || string(g.body) != string(want[:5]) {
				t.Errorf("range %s: %d %q", u, g.status, g.body)
			}
			wantInert(t, "range "+op+" "+p, g.header)
		}
	}
	// The LFS file: the redirect itself, and the bucket's answer.
	r := fetch(t, "GET", base+"/resolve/main/evil.bin", "")
	if r.status != 302 {
		t.Fatalf("resolve evil.bin: %d", r.status)
	}
	wantInert(t, "redirect of evil.bin", r.header)
	if r.header.Get("X-Linked-Etag") != `"`+oid(lfsHTML)+`"` {
		t.Errorf("X-Linked-Etag %q", r.header.Get("X-Linked-Etag"))
	}
	b := fetch(t, "GET", r.header.Get("Location"), "")
	if b.status != 200 || string(b.body) != string(lfsHTML) {
		t.Fatalf("bucket answer: %d", b.status)
	}
	if ct := b.header.Get("Content-Type"); ct != "application/octet-stream" || !strings.HasPrefix(b.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("bucket answers evil.bin as %q, %q: want application/octet-stream, attachment", ct, b.header.Get("Content-Disposition"))
	}
	// The LFS batch API's download href.
	var resp struct {
		Objects []struct{ Actions map[string]*lfsAction }
	}
	st := s.call(t, "POST", base+".git/info/lfs/objects/batch", "Bearer "+a.token, map[string]any{"operation": "download",
		"transfers": []string{"basic"}, "objects": []map[string]any{{"oid": oid(lfsHTML), "size": len(lfsHTML)}}}, &resp)
	if st != 200 || len(resp.Objects) != 1 || resp.Objects[0].Actions["download"] == nil {
		t.Fatalf("batch download: %d %+v", st, resp)
	}
	dl := resp.Objects[0].Actions["download"]
	req, _ := http.NewRequest("GET", dl.Href, nil)
	for k, v := range dl.Header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "application/octet-stream" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("batch download href answers %d %q %q", res.StatusCode, ct, res.Header.Get("Content-Disposition"))
	}
}

// TestHostileFilesRunNoScript: a user logged in in Chromium opens a public
// repository's hostile .html, .svg and extension-less HTML file through
// resolve and raw, the LFS file's redirect, and the repository's pages
// listing a file whose name is markup; no script runs and no token is
// made. A control first runs the same script on a hub page (as a
// rendered file would have run) and sees it make its token, so the test
// can tell.
func TestHostileFilesRunNoScript(t *testing.T) {
	s := needStack(t)
	attacker := s.newAccount(t)
	markup := `<img src=x onerror="document.title='ran'">.txt`
	s.push(t, attacker, map[string][]byte{
		"evil.html": hostileHTML("pwned-html"),
		"evil.svg":  hostileSVG("pwned-svg"),
		"evil":      hostileHTML("pwned-noext"),
		"evil.bin":  hostileHTML("pwned-lfs"),
		markup:      []byte("x\n"),
	})
	b := newBrowser(t, 1100, 800)
	victim := b.signupInBrowser("victim")
	h := newHub(t)
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorDeny}); err != nil {
		t.Fatalf("deny downloads: %v", err)
	}
	tokens := func() []string {
		var list []map[string]any
		if err := json.Unmarshal(h.must(200, h.do("GET", "/api/settings/tokens", victim.bearer(), nil), "list tokens").Body, &list); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range list {
			out = append(out, fmt.Sprint(tk["name"]))
		}
		return out
	}
	title := func() string {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.title`))
		if err != nil {
			return ""
		}
		return v
	}
	// Control: the script, run on the hub's origin, does make a token.
	// The hub's own pages forbid fetch by their CSP, which a served file
	// did not have: the control page is loaded with CSP bypassed, then
	// CSP is enforced again for the rest of the test.
	setBypass := func(on bool) {
		if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: on}); err != nil {
			t.Fatalf("set bypass CSP %v: %v", on, err)
		}
	}
	setBypass(true)
	b.open("/settings/tokens")
	b.run("run the script on a hub page", chromedp.Evaluate[chromedp.Void](hostileScript("control")))
	deadline := time.Now().Add(20 * time.Second)
	for title() != "ran-token" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := tokens(); len(got) != 1 || got[0] != "control" {
		t.Fatalf("control: the script run on the hub's origin made tokens %v, want [control]: the test cannot tell", got)
	}
	setBypass(false)
	base := "/" + attacker.user + "/" + attacker.repo
	for _, p := range []string{"evil.html", "evil.svg", "evil", "evil.bin"} {
		waitServed(t, b.base+base+"/resolve/main/"+p)
	}
	for _, p := range []string{"resolve/main/evil.html", "raw/main/evil.html", "resolve/main/evil.svg", "raw/main/evil.svg",
		"resolve/main/evil", "raw/main/evil", "resolve/main/evil.bin"} {
		b.open("/settings")
		_, err := chromedp.Run(b.ctx, chromedp.Navigate(b.base+base+"/"+p))
		var le *chromedp.LoadError
		if err != nil && !(errors.As(err, &le) && strings.Contains(le.ErrorText, "ERR_ABORTED")) {
			t.Fatalf("open %s: %v", p, err)
		}
		// Give a rendered document's script the time the control took.
		time.Sleep(2 * time.Second)
		if tt := title(); strings.HasPrefix(tt, "ran") {
			t.Errorf("%s: a script ran on the hub's origin (title %q)", p, tt)
		}
	}
	// The pages: the repository's file list and the file's page show the
	// markup name as text.
	b.open(base)
	b.mustSee("repository page", "onerror")
	b.open(base + "/blob/main/" + url.PathEscape(markup))
	time.Sleep(2 * time.Second)
	if tt := title(); strings.HasPrefix(tt, "ran") {
		t.Errorf("file page: a script ran (title %q)", tt)
	}
	if got := tokens(); len(got) != 1 {
		t.Errorf("tokens after opening the hostile files: %v, want only the control's", got)
	}
}
