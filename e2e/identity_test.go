package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestTokenFlow is the whole flow through the local gateway: sign
// up, read the code from the outbox, verify, log in, create a read and a
// write token, whoami-v2 with each, refresh (old secret 401, new 200),
// delete (401).
func TestTokenFlow(t *testing.T) {
	h := newHub(t)
	u := h.signup("flow")
	readTok, readID := h.token(u, "read")
	writeTok, _ := h.token(u, "write")

	for _, tt := range []struct{ tok, role string }{{readTok, "read"}, {writeTok, "write"}} {
		m := h.must(200, h.do("GET", "/api/whoami-v2", "Bearer "+tt.tok, nil), "whoami with "+tt.role).json(t)
		auth := m["auth"].(map[string]any)
		at := auth["accessToken"].(map[string]any)
		if m["name"] != u.Name || m["type"] != "user" || auth["type"] != "access_token" || at["role"] != tt.role || m["emailVerified"] != true {
			t.Fatalf("whoami-v2 with %s token: got %v", tt.role, m)
		}
		if _, ok := m["orgs"].([]any); !ok {
			t.Fatalf("whoami-v2: orgs is not a list: %v", m["orgs"])
		}
	}
	r := h.must(200, h.do("POST", "/api/settings/tokens/"+readID+"/refresh", u.bearer(), nil), "refresh")
	newTok := r.json(t)["token"].(string)
	if r.json(t)["id"] != readID || newTok == readTok {
		t.Fatalf("refresh: got %s", r.Body)
	}
	old := h.must(401, h.do("GET", "/api/whoami-v2", "Bearer "+readTok, nil), "old secret after refresh")
	if strings.TrimSpace(string(old.Body)) != `{"error":"Invalid credentials in Authorization header"}` {
		t.Fatalf("401 body: got %s, want the Hub's", old.Body)
	}
	if id := old.Header.Get("X-Request-Id"); id == "" || id != old.Header.Get("Apigw-Requestid") {
		t.Fatalf("401: X-Request-Id %q, want the gateway's request id %q", id, old.Header.Get("Apigw-Requestid"))
	}
	h.must(200, h.do("GET", "/api/whoami-v2", "Bearer "+newTok, nil), "new secret after refresh")
	h.must(204, h.do("DELETE", "/api/settings/tokens/"+readID, u.bearer(), nil), "delete")
	h.must(401, h.do("GET", "/api/whoami-v2", "Bearer "+newTok, nil), "deleted token")

	// The listing shows hints, never secrets.
	list := h.must(200, h.do("GET", "/api/settings/tokens", u.bearer(), nil), "list")
	if strings.Contains(string(list.Body), writeTok) || !strings.Contains(string(list.Body), `"hint"`) {
		t.Fatalf("token list leaks a secret or lacks hints: %s", list.Body)
	}
	// The session's audit log has the story, newest first.
	audit := h.must(200, h.do("GET", "/api/settings/audit?limit=3", u.bearer(), nil), "audit").json(t)
	evs := audit["events"].([]any)
	if len(evs) != 3 || evs[0].(map[string]any)["type"] != "token.deleted" || audit["nextCursor"] == "" {
		t.Fatalf("audit: got %v", audit)
	}
	h.must(200, h.do("GET", "/api/settings/audit?limit=3&cursor="+audit["nextCursor"].(string), u.bearer(), nil), "audit page 2")
}

func TestTokenBadInput(t *testing.T) {
	h := newHub(t)
	u := h.signup("bad")
	other := h.signup("other")
	_, otherID := h.token(other, "read")
	writeTok, _ := h.token(u, "write")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name, method, path, auth string
		body                     any
		want                     int
		msg                      string
	}{
		{"malformed JSON", "POST", "/api/settings/tokens", u.bearer(), `{"name":`, 400, "Malformed JSON"},
		{"unknown field", "POST", "/api/settings/tokens", u.bearer(), `{"name":"a","role":"read","scope":"all"}`, 400, `Unknown field "scope"`},
		{"wrong type", "POST", "/api/settings/tokens", u.bearer(), `{"name":1,"role":"read"}`, 400, `"name" must be a string`},
		{"empty name", "POST", "/api/settings/tokens", u.bearer(), map[string]string{"name": " ", "role": "read"}, 400, "name must not be empty"},
		{"long name", "POST", "/api/settings/tokens", u.bearer(), map[string]string{"name": strings.Repeat("n", 65), "role": "read"}, 400, "at most 64"},
		{"unknown role", "POST", "/api/settings/tokens", u.bearer(), map[string]string{"name": "a", "role": "admin"}, 400, `role must be "read", "write" or "fineGrained"`},
		{"past expiry", "POST", "/api/settings/tokens", u.bearer(), map[string]string{"name": "a", "role": "read", "expiresAt": past}, 400, "expiresAt must be in the future"},
		{"another user's token", "DELETE", "/api/settings/tokens/" + otherID, u.bearer(), nil, 404, "Token not found"},
		{"token minting tokens", "POST", "/api/settings/tokens", "Bearer " + writeTok, map[string]string{"name": "a", "role": "read"}, 403, "needs a logged-in session"},
		{"no credentials", "GET", "/api/settings/tokens", "", nil, 401, ""},
		{"mistyped token", "GET", "/api/whoami-v2", "Bearer " + mistype(writeTok), nil, 401, "Invalid credentials"},
		{"signup reserved name", "POST", "/api/signup", "", map[string]string{"username": "admin", "email": "a@example.com", "password": "long enough pw"}, 400, "reserved"},
		{"signup bad email", "POST", "/api/signup", "", map[string]string{"username": uniqueName("x"), "email": "Bob <b@example.com>", "password": "long enough pw"}, 400, "email"},
		{"signup taken name", "POST", "/api/signup", "", map[string]string{"username": u.Name, "email": uniqueName("y") + "@example.com", "password": "long enough pw"}, 409, "username is already taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, tt.auth, tt.body)
			// Clients read json.error || json.message (the gateway's own
			// denials use API Gateway's {"message": ...}).
			m := r.json(t)
			msg, _ := m["error"].(string)
			if msg == "" {
				msg, _ = m["message"].(string)
			}
			if r.Status != tt.want || msg == "" || !strings.Contains(msg, tt.msg) {
				t.Fatalf("got %d %s, want %d with %q in a JSON error", r.Status, r.Body, tt.want, tt.msg)
			}
		})
	}
	// Nothing was created by the refused requests.
	list := h.must(200, h.do("GET", "/api/settings/tokens", u.bearer(), nil), "list").Body
	if n := strings.Count(string(list), `"id"`); n != 1 {
		t.Fatalf("got %d tokens after refused creations, want 1: %s", n, list)
	}
}

func TestLeakedCredentialRevocation(t *testing.T) {
	h := newHub(t)
	u := h.signup("leak")
	tok, _ := h.token(u, "write")
	for _, creds := range [][]string{{"nonsense"}, {"hf_" + strings.Repeat("a", 34)}, {tok}, {tok}} {
		h.must(202, h.do("POST", "/api/credentials/revoke", "", map[string]any{"credentials": creds}), "revoke")
	}
	h.must(401, h.do("GET", "/api/whoami-v2", "Bearer "+tok, nil), "revoked token")
	// The owner was told.
	if code := readLeakMail(t, u.Email); !code {
		t.Fatal("no leak notice mailed to the owner")
	}
}

func readLeakMail(t *testing.T, addr string) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if mailContains(t, addr, "was reported as leaked") {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// mistype changes a token's last character (to another one: a token that
// already ended in "x" stayed valid, 1 run in 62).
func mistype(tok string) string {
	last := "x"
	if strings.HasSuffix(tok, "x") {
		last = "y"
	}
	return tok[:len(tok)-1] + last
}
