package e2e

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/authz"
)

// TestInvariantOutagePagesAnswer503 (invariant 13): with the functions cut
// off DynamoDB Local by the local stack (their relay to it accepts
// connections and relays nothing, as a hung table does; its data stays,
// and other test packages, which reach it directly, are not affected),
// the pages of a signed-in
// user answer 503 with Retry-After and the HTML error page, with no
// internal text, and a form posted then changes nothing; the JSON API
// answers 503 with Retry-After beside them. Once DynamoDB answers again,
// the same requests work.
func TestInvariantOutagePagesAnswer503(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	u := h.signup("outage")
	send := func(method, path string, form url.Values) (int, http.Header, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, h.base+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: u.Session})
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	code, _, page := send("GET", "/settings/tokens", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if code != 200 || csrf == nil {
		t.Fatalf("token page before the outage: %d, CSRF field %v", code, csrf != nil)
	}
	newToken := url.Values{"csrf": {csrf[1]}, "name": {"during-outage"}, "role": {"read"}}

	s.dynamodb(t, "pause")
	paused := true
	t.Cleanup(func() {
		if paused {
			s.dynamodb(t, "resume")
		}
	})
	for _, c := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/settings/tokens", nil},
		{"GET", "/" + u.Name, nil},
		{"GET", "/organizations/new", nil},
		{"POST", "/settings/tokens", newToken},
	} {
		code, hdr, body := send(c.method, c.path, c.form)
		if code != 503 || hdr.Get("Retry-After") == "" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "<h1>Service Unavailable</h1>") {
			t.Errorf("%s %s with DynamoDB paused: %d Retry-After %q %q, want 503 with Retry-After and the HTML error page\n%.600s",
				c.method, c.path, code, hdr.Get("Retry-After"), hdr.Get("Content-Type"), body)
		}
		for _, leak := range []string{"dial tcp", "deadline", "127.0.0.1", "goroutine", "DynamoDB", "dynamodb"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s %s: the page shows internal text %q", c.method, c.path, leak)
			}
		}
	}
	r := h.do("GET", "/api/whoami-v2", u.bearer(), nil)
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Errorf("JSON API with DynamoDB paused: %d Retry-After %q %s, want 503 with Retry-After", r.Status, r.Header.Get("Retry-After"), r.Body)
	}

	s.dynamodb(t, "resume")
	paused = false
	code, _, page = send("GET", "/settings/tokens", nil)
	if code != 200 {
		t.Fatalf("token page after DynamoDB answers again: %d", code)
	}
	if strings.Contains(page, "during-outage") {
		t.Error("a token was created by the form posted during the outage")
	}
	if r := h.do("GET", "/api/whoami-v2", u.bearer(), nil); r.Status != 200 {
		t.Errorf("JSON API after DynamoDB answers again: %d %s", r.Status, r.Body)
	}
}

func (s stack) dynamodb(t *testing.T, action string) {
	t.Helper()
	if st := s.call(t, "POST", s.internal+"/_devstack/dynamodb/"+action, "", nil, nil); st >= 300 {
		t.Fatalf("dynamodb %s: %d", action, st)
	}
}
