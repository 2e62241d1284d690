package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/hubsec/trustlayer/shared/authz"
)

// preSessionCookie keys the CSRF tokens of the forms shown before login
// (join, login, email verification).
const preSessionCookie = "hf_csrf"

// csrfField is the form field carrying the token.
const csrfField = "csrf"

// csrfSeed returns the secret the request's CSRF tokens are keyed by: the
// session secret when there is a session cookie, else the pre-session
// cookie ("" when neither is set).
func csrfSeed(r *http.Request) string {
	if c, err := r.Cookie(authz.SessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	if c, err := r.Cookie(preSessionCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	return ""
}

// csrfToken is HMAC-SHA256(seed, label): it reveals nothing about the
// seed, and nobody without the seed (an HttpOnly cookie) can compute it.
func csrfToken(seed string) string {
	if seed == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(seed))
	m.Write([]byte("trustlayer web form v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether a state-changing request may proceed: not
// announced as cross-site by the browser, from our own origin when it
// names one, and carrying the right token.
func checkCSRF(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	want := csrfToken(csrfSeed(r))
	got := r.PostFormValue(csrfField)
	if want == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// ensurePreSession sets the pre-session cookie on a page shown before
// login and returns the seed to key its form with.
func (s *Site) ensurePreSession(w http.ResponseWriter, r *http.Request) string {
	if seed := csrfSeed(r); seed != "" {
		return seed
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return ""
	}
	v := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, s.cookie(preSessionCookie, v, 0))
	// The form being rendered must be keyed by the cookie just set.
	r.AddCookie(&http.Cookie{Name: preSessionCookie, Value: v})
	return v
}

// cookie builds one of our cookies; maxAge < 0 deletes it.
func (s *Site) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode}
}
