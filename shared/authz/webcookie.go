package authz

import (
	"net/http"

	"github.com/hubsec/trustlayer/shared/token"
)

// SessionCookie is the cookie the web pages keep the session secret in
// (HttpOnly, SameSite=Lax; set by the web function at /login).
//
// The rule: the cookie is a credential on Web routes only. Every JSON API
// route, git and LFS route reads the Authorization header alone, so a page
// on another origin that makes the browser send the cookie along (a form
// post, an image) authorizes nothing there: the API stays free of CSRF by
// construction. The web pages, which do accept the cookie, check a CSRF
// token on every form (shared/web).
const SessionCookie = "hf_session"

// maxCookieLen bounds the Cookie header the authorizer reads.
const maxCookieLen = 8192

// webSession returns the session secret of the SessionCookie, or "" when
// there is none or it is not a well-formed session secret (a user access
// token in a cookie is never accepted).
func webSession(h http.Header) string {
	for _, line := range h.Values("Cookie") {
		if len(line) > maxCookieLen {
			return ""
		}
		cs, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cs {
			if c.Name != SessionCookie {
				continue
			}
			if k, err := token.Parse(c.Value); err == nil && k == token.KindSession {
				return c.Value
			}
			return ""
		}
	}
	return ""
}
