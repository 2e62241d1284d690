package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestTokenExpiry: a token expiring within a week earns its owner one mail
// from the scheduled sweeper; an expired token is refused saying when it
// expired, and the sweeper removes it from the owner's list.
func TestTokenExpiry(t *testing.T) {
	h := newHub(t)
	internal := strings.TrimRight(testenv.RequireEnv(t, "TRUSTLAYER_INTERNAL_URL"), "/")
	sweep := func() {
		t.Helper()
		c := &hubClient{t: t, base: internal}
		r := c.must(200, c.do("POST", "/2015-03-31/functions/SweeperFunction/invocations", "", map[string]string{"source": "e2e"}), "invoke sweeper")
		t.Logf("sweeper: %s", r.Body)
	}
	u := h.signup("expiry")
	soon := time.Now().Add(3 * 24 * time.Hour).UTC().Truncate(time.Second)
	name := uniqueName("soon")
	h.must(201, h.do("POST", "/api/settings/tokens", u.bearer(), map[string]any{"name": name, "role": "read", "expiresAt": soon.Format(time.RFC3339)}), "create expiring token")
	short := time.Now().Add(2 * time.Second).UTC()
	r := h.must(201, h.do("POST", "/api/settings/tokens", u.bearer(), map[string]any{"name": uniqueName("short"), "role": "fineGrained", "expiresAt": short.Format(time.RFC3339Nano),
		"fineGrained": map[string]any{"scoped": []any{scope("user", u.Name, "repo.content.read")}}}), "create short token").json(t)
	shortTok, shortID := r["token"].(string), r["id"].(string)
	h.must(200, h.do("GET", "/api/whoami-v2", "Bearer "+shortTok, nil), "before expiry")

	sweep()
	if !mailContains(t, u.Email, name) || !mailContains(t, u.Email, "expires on") {
		t.Fatalf("no expiry notice for %q mailed to %s", name, u.Email)
	}
	time.Sleep(time.Until(short) + 500*time.Millisecond)
	res := h.do("GET", "/api/whoami-v2", "Bearer "+shortTok, nil)
	if res.Status != 401 || !strings.Contains(string(res.Body), "expired at "+short.Truncate(time.Second).Format("2006-01-02T15:04:05")) {
		t.Fatalf("expired token: got %d %s, want 401 saying when it expired", res.Status, res.Body)
	}
	sweep()
	list := h.must(200, h.do("GET", "/api/settings/tokens", u.bearer(), nil), "list")
	if strings.Contains(string(list.Body), shortID) {
		t.Errorf("the sweeper left the expired token listed: %s", list.Body)
	}
	if !strings.Contains(string(list.Body), name) {
		t.Errorf("the sweeper removed a live token: %s", list.Body)
	}
}
