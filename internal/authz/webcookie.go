package authz

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hubsec/trustlayer/internal/token"
)

// SessionCookie is the cookie the web pages keep the session secret in
// (HttpOnly, SameSite=Lax; set by the web function at /login).
//
// The rule: the cookie is a credential on Web routes only. Every JSON API
// route, git and LFS route reads the Authorization header alone, so a page
// on another origin that makes the browser send the cookie along (a form
// post, an image) authorizes nothing there: the API stays free of CSRF by
// construction. The web pages, which do accept the cookie, check a CSRF
// token on every form (internal/web).
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

// HandleLambda is HandleEvent for the authorizer function: API Gateway
// HTTP API payload 2.0 events carry cookies in their own "cookies" field,
// not in the headers the HTTP API face reads, so this folds them into a
// Cookie header first. (Reading ev.Cookies in HTTPAPI itself would make
// this wrapper unnecessary.)
func (a *Authorizer) HandleLambda(ctx context.Context, raw json.RawMessage) (any, error) {
	return a.HandleEvent(ctx, foldCookies(raw))
}

func foldCookies(raw json.RawMessage) json.RawMessage {
	var ev map[string]json.RawMessage
	if json.Unmarshal(raw, &ev) != nil || string(ev["version"]) != `"2.0"` || len(ev["cookies"]) < 3 {
		return raw
	}
	var cookies []string
	headers := map[string]string{}
	if json.Unmarshal(ev["cookies"], &cookies) != nil || len(cookies) == 0 {
		return raw
	}
	if h, ok := ev["headers"]; ok && json.Unmarshal(h, &headers) != nil {
		return raw
	}
	headers["cookie"] = strings.Join(cookies, "; ")
	hb, err := json.Marshal(headers)
	if err != nil {
		return raw
	}
	ev["headers"] = hb
	out, err := json.Marshal(ev)
	if err != nil {
		return raw
	}
	return out
}
