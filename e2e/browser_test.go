package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// browser drives a real headless Chromium (Debian's chromium) with
// chromedp. Each browser has its own profile, so its own cookies.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string // where screenshots go
}

// chromiumPath finds Debian's chromium; CI installs it (infra/deps.sh).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TRUSTLAYER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return testenv.RequireTool(t, "chromium")
}

// newBrowser starts Chromium at width x height. Screenshots go to
// $TRUSTLAYER_SCREENSHOTS when set (docs/screenshots is refreshed with
// `TRUSTLAYER_SCREENSHOTS=$PWD/docs/screenshots make test`), else to a
// temporary directory.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	base := strings.TrimRight(testenv.RequireEnv(t, "TRUSTLAYER_GATEWAY_URL"), "/")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	shots := os.Getenv("TRUSTLAYER_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	return &browser{t: t, ctx: ctx, base: base, shots: shots}
}

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads path and waits for its <main>.
func (b *browser) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// fill sets the form field named name.
func (b *browser) fill(name, value string) {
	b.t.Helper()
	b.run("fill "+name, chromedp.SetValue(chromedp.CSS(`[name="`+name+`"]`), value))
}

// xpathText matches an element whose accessible text is exactly text.
func xpathText(tag, text string) string {
	return fmt.Sprintf(`//%s[normalize-space()=%q]`, tag, text)
}

// press clicks the button named text (the first one, or the one in the
// table row that mentions row) and waits for the next page.
func (b *browser) press(text, row string) {
	b.t.Helper()
	sel := xpathText("button", text)
	if row != "" {
		sel = fmt.Sprintf(`//tr[contains(., %q)]`, row) + sel
	}
	b.clickAndWait(sel)
}

// follow clicks the link named text (in the row mentioning row, if set).
func (b *browser) follow(text, row string) {
	b.t.Helper()
	sel := xpathText("a", text)
	if row != "" {
		sel = fmt.Sprintf(`//tr[contains(., %q)]`, row) + sel
	}
	b.clickAndWait(sel)
}

func (b *browser) clickAndWait(sel string) {
	b.t.Helper()
	before := get(b, "read page time", chromedp.Evaluate[string](`performance.timeOrigin + ""`))
	b.run("click "+sel, chromedp.Click(chromedp.Search(sel), chromedp.NodeVisible))
	// Wait for the new document (form posts and links both load one).
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		now, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? performance.timeOrigin + "" : ""`))
		if err == nil && now != "" && now != before {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("clicking %s loaded no new page", sel)
}

// main returns the text of the page's <main>.
func (b *browser) main() string {
	b.t.Helper()
	return get(b, "read page", chromedp.Text(chromedp.CSS("body")))
}

func (b *browser) mustSee(what string, texts ...string) string {
	b.t.Helper()
	body := b.main()
	for _, s := range texts {
		if !strings.Contains(body, s) {
			b.t.Fatalf("%s: page does not say %q:\n%s", what, s, body)
		}
	}
	return body
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// shot saves a full-page PNG screenshot as name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// session returns the session secret in the browser's HttpOnly cookie.
func (b *browser) session() string {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("read cookies: %v", err)
	}
	v := ""
	for _, c := range res.Cookies {
		if c.Name == authz.SessionCookie {
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
				b.t.Fatalf("session cookie is not HttpOnly and SameSite=Lax: %+v", c)
			}
			v = c.Value
		}
	}
	if v == "" {
		b.t.Fatal("no session cookie")
	}
	return v
}

// signupInBrowser signs up, verifies the email from the outbox and logs in
// through the pages; it returns the user.
func (b *browser) signupInBrowser(prefix string) hubUser {
	b.t.Helper()
	u := hubUser{Name: uniqueName(prefix), Password: "correct horse battery staple"}
	u.Email = u.Name + "@example.com"
	b.open("/join")
	b.fill("username", u.Name)
	b.fill("email", u.Email)
	b.fill("password", u.Password)
	b.press("Sign up", "")
	b.mustSee("sign up", "Verify your email", u.Email)
	b.fill("code", readCode(b.t, u.Email))
	b.press("Verify", "")
	b.mustSee("verify", "is verified")
	b.open("/login")
	b.fill("username", u.Name)
	b.fill("password", u.Password)
	b.press("Log in", "")
	b.mustSee("log in", "Access Tokens")
	u.Session = b.session()
	return u
}
