package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// hubClient talks to the local gateway.
type hubClient struct {
	t    testing.TB
	base string
}

func newHub(t testing.TB) *hubClient {
	t.Helper()
	return &hubClient{t: t, base: strings.TrimRight(testenv.RequireEnv(t, "TRUSTLAYER_GATEWAY_URL"), "/")}
}

// hubResponse is a decoded answer.
type hubResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r hubResponse) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %s", r.Body)
	}
	return m
}

// do sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON); auth is a full Authorization header value or "".
func (h *hubClient) do(method, path, auth string, body any) hubResponse {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return hubResponse{Status: res.StatusCode, Header: res.Header, Body: raw}
}

func (h *hubClient) must(want int, r hubResponse, what string) hubResponse {
	h.t.Helper()
	if r.Status != want {
		h.t.Fatalf("%s: got %d %s, want %d", what, r.Status, r.Body, want)
	}
	return r
}

func uniqueName(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

var mailCode = regexp.MustCompile(`code is (\d{8})`)

// readCode waits for the newest verification code mailed to addr.
func readCode(t testing.TB, addr string) string {
	t.Helper()
	dir := testenv.RequireEnv(t, "TRUSTLAYER_OUTBOX_DIR")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		sort.Strings(files)
		for i := len(files) - 1; i >= 0; i-- {
			raw, err := os.ReadFile(files[i])
			if err != nil {
				continue
			}
			var m struct{ To, Body string }
			if json.Unmarshal(raw, &m) == nil && strings.EqualFold(m.To, addr) {
				if c := mailCode.FindStringSubmatch(m.Body); c != nil {
					return c[1]
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no verification code mailed to %s in %s", addr, dir)
	return ""
}

// hubUser is a signed-up, verified, logged-in user.
type hubUser struct {
	Name, Email, Password, Session string
}

func (u hubUser) bearer() string { return "Bearer " + u.Session }

// signup creates a user through the API and logs in.
func (h *hubClient) signup(prefix string) hubUser {
	h.t.Helper()
	u := hubUser{Name: uniqueName(prefix), Password: "correct horse battery staple"}
	u.Email = u.Name + "@example.com"
	h.must(201, h.do("POST", "/api/signup", "", map[string]string{"username": u.Name, "email": u.Email, "password": u.Password}), "signup")
	h.must(200, h.do("POST", "/api/emails/verify", "", map[string]string{"email": u.Email, "code": readCode(h.t, u.Email)}), "verify email")
	r := h.must(200, h.do("POST", "/api/login", "", map[string]string{"username": u.Name, "password": u.Password}), "login")
	u.Session = r.json(h.t)["session"].(string)
	return u
}

// token creates an access token for u and returns it with its id.
func (h *hubClient) token(u hubUser, role string) (secret, id string) {
	h.t.Helper()
	r := h.must(201, h.do("POST", "/api/settings/tokens", u.bearer(), map[string]string{"name": uniqueName(role), "role": role}), "create token")
	m := r.json(h.t)
	return m["token"].(string), m["id"].(string)
}

// mailContains reports whether a message to addr contains text.
func mailContains(t testing.TB, addr, text string) bool {
	dir := testenv.RequireEnv(t, "TRUSTLAYER_OUTBOX_DIR")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var m struct{ To, Body string }
		if json.Unmarshal(raw, &m) == nil && strings.EqualFold(m.To, addr) && strings.Contains(m.Body, text) {
			return true
		}
	}
	return false
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func basicAuth(user, pass string) string { return "Basic " + b64(user+":"+pass) }

// forwardAuth asks the authorizer's forward-auth face (nginx style) about a
// request, as a gateway outside AWS would.
func (h *hubClient) forwardAuth(uri, auth string) hubResponse {
	h.t.Helper()
	base := strings.TrimRight(testenv.RequireEnv(h.t, "TRUSTLAYER_FORWARD_AUTH_URL"), "/")
	req, _ := http.NewRequest("GET", base+"/auth", nil)
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URI", uri)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return hubResponse{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// gitFolder is the git server's folder of a repository (by its id, see
// invariant 12 in docs/invariants.md): apiRepo is "/api/models/ns/name"
// (or datasets, spaces), auth may read it.
func gitFolder(t testing.TB, apiRepo, auth string) string {
	t.Helper()
	root := testenv.RequireEnv(t, "TRUSTLAYER_GIT_ROOT")
	h := newHub(t)
	var info struct {
		ID string `json:"_id"`
	}
	r := h.do("GET", apiRepo, auth, nil)
	if r.Status != 200 || json.Unmarshal(r.Body, &info) != nil || info.ID == "" {
		t.Fatalf("%s: %d %s", apiRepo, r.Status, r.Body)
	}
	return filepath.Join(root, "_id", info.ID+".git")
}
