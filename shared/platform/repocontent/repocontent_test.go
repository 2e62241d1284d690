package repocontent

import (
	"mime"
	"net/http"
	"strings"
	"testing"
)

// TestActiveContentIsNeverRenderable: every name whose bytes a browser
// could run (HTML, SVG, XML, scripts, no extension, odd case) is served
// as an attachment of type application/octet-stream; inert types stay
// inline; the sandbox CSP and nosniff are always set.
func TestActiveContentIsNeverRenderable(t *testing.T) {
	for _, name := range []string{"evil.html", "EVIL.HTM", "a/b/evil.xhtml", "evil.svg", "x.SVGZ", "evil", "dir/evil",
		"a.xml", "a.js", "a.mjs", "a.css", "a.pdf", "a.html.", "a.shtml", "a.xht", "a.mht", "a.swf", "model.safetensors", ".html", "a.txt.html"} {
		h := http.Header{}
		Set(h, name)
		if h.Get("Content-Type") != OctetStream {
			t.Errorf("%s: Content-Type %q", name, h.Get("Content-Type"))
		}
		if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s: Content-Disposition %q", name, h.Get("Content-Disposition"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != CSP {
			t.Errorf("%s: headers %v", name, h)
		}
	}
	for name, want := range map[string]string{"README.md": "text/plain; charset=utf-8", "config.json": "application/json", "a/b.PNG": "image/png", "x.txt": "text/plain; charset=utf-8"} {
		h := http.Header{}
		Set(h, name)
		if h.Get("Content-Type") != want || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") {
			t.Errorf("%s: %q %q, want %q inline", name, h.Get("Content-Type"), h.Get("Content-Disposition"), want)
		}
	}
	if ct, cd := Presigned(); ct != OctetStream || cd != "attachment" {
		t.Errorf("Presigned() = %q, %q", ct, cd)
	}
}

// TestDispositionQuotesNames: a file name with quotes, semicolons or
// non-ASCII stays one filename parameter (no header injection).
func TestDispositionQuotesNames(t *testing.T) {
	for _, name := range []string{`a"b.html`, "a;b=c.html", "ünï.svg", "dir/x y.bin", `q\"; filename=evil.html`} {
		d := Disposition(name)
		kind, params, err := mime.ParseMediaType(d)
		if err != nil || kind != "attachment" {
			t.Errorf("%s: %q does not parse: %v", name, d, err)
			continue
		}
		base := name[strings.LastIndex(name, "/")+1:]
		if params["filename"] != base {
			t.Errorf("%s: filename %q, want %q", name, params["filename"], base)
		}
	}
}
