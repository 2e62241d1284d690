package webcard

import (
	"strings"
	"testing"
)

// TestCardRendersInert: a card's script, event handlers, javascript:
// links and outside images come out inert; links get nofollow noopener.
func TestCardRendersInert(t *testing.T) {
	md := "# Title\n\n<script>alert(1)</script>\n\n[ok](https://example.com) [bad](javascript:alert(1)) [data](data:text/html,x)\n\n" +
		"![tracker](//evil.example/x.png) ![rel](img/a.png)\n\n<img src=//evil.example/y.png onerror=alert(1)>\n\n" +
		"<a href=\"https://x\" onclick=\"alert(1)\">raw</a>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<iframe src=\"https://evil\"></iframe>\n"
	out := string(RenderCard(md))
	for _, bad := range []string{"<script", "javascript:", "data:text", "<img", "onerror", "onclick", "<iframe", "alert(1)</"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("rendered card holds %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{"<h1>Title</h1>", `href="https://example.com"`, "<table>", "[image: tracker]"} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered card lacks %q:\n%s", want, out)
		}
	}
	for _, a := range strings.Split(out, "<a ")[1:] {
		if strings.Contains(a, "href=") && (!strings.Contains(a, "nofollow") || !strings.Contains(a, "noopener")) {
			t.Errorf("link without nofollow noopener: <a %s", a)
		}
	}
}

func FuzzRenderCard(f *testing.F) {
	f.Add("# x\n<script>x</script>[a](javascript:x)")
	f.Fuzz(func(t *testing.T, md string) {
		out := strings.ToLower(string(RenderCard(md)))
		if strings.Contains(out, "<script") || strings.Contains(out, "<img") || strings.Contains(out, "href=\"javascript") {
			t.Fatalf("unsafe output: %s", out)
		}
	})
}
