package authz

import "github.com/hubsec/trustlayer/shared/access"

// GreedyPathParam is the trailing {path+} of the web file pages: it may
// hold '/' (cleanPath still refuses empty, dot and encoded segments).
const GreedyPathParam = "path"

// webRoutes are the server-rendered pages (functions/web). All are public
// to the authorizer: it resolves the caller (from the Authorization header
// or, on these routes only, the session cookie) and the page asks the
// domain services, which decide with access.Decide like the JSON API. A
// page never answers a state change to a GET, and every POST carries a
// CSRF token.
func webRoutes() []Route {
	var rs []Route
	add := func(m, p string) { rs = append(rs, Route{Method: m, Pattern: p, Need: NeedPublic, Web: true}) }
	for _, p := range []string{"/join", "/login", "/email/verify", "/settings/tokens", "/settings/gpg-keys",
		"/settings/ssh-keys", "/settings/emails", "/organizations/new", "/organizations/{org}/settings/members"} {
		add("GET", p)
		add("POST", p)
	}
	add("POST", "/logout")
	add("GET", "/settings/audit")
	add("GET", "/settings/tokens/{id}")
	add("POST", "/settings/tokens/{id}/refresh")
	add("POST", "/settings/tokens/{id}/delete")
	add("POST", "/settings/gpg-keys/{id}/delete")
	add("POST", "/settings/ssh-keys/{id}/delete")
	add("POST", "/organizations/{org}/settings/members/{username}")
	add("POST", "/organizations/{org}/settings/members/{username}/remove")
	add("POST", "/settings/emails/resend")
	add("GET", "/organizations/{org}/settings/tokens")
	add("POST", "/organizations/{org}/settings/tokens")
	add("POST", "/organizations/{org}/settings/tokens/{id}/approve")
	add("POST", "/organizations/{org}/settings/tokens/{id}/deny")
	add("POST", "/organizations/{org}/settings/tokens/revoke")
	add("GET", "/static/{file}")
	add("GET", "/settings/model-signers")
	add("POST", "/settings/model-signers")
	add("POST", "/settings/model-signers/{id}/delete")
	add("GET", "/organizations/{org}/settings/model-signers")
	add("POST", "/organizations/{org}/settings/model-signers")
	add("POST", "/organizations/{org}/settings/model-signers/{id}/delete")
	add("GET", "/{namespace}")
	for _, t := range repoTypes {
		base := t.prefix + "/{namespace}/{name}"
		// The pages that read a repository's files: the authorizer
		// passes them the repository's facts (see Authorizer.pageRepo).
		page := func(p string) {
			rs = append(rs, Route{Method: "GET", Pattern: p, Need: NeedPublic, Web: true, RepoType: t.typ})
		}
		page(base)
		add("GET", base+"/settings")
		add("POST", base+"/settings")
		page(base + "/commits/{rev}")
		page(base + "/blob/{rev}/{" + GreedyPathParam + "+}")
		page(base + "/tree/{rev}")
		page(base + "/tree/{rev}/{" + GreedyPathParam + "+}")
		page(base + "/signature/{rev}")
	}
	return rs
}

// WebRepoType returns the repository type of a web page path prefix
// ("", "/datasets", "/spaces").
func WebRepoType(prefix string) (access.RepoType, bool) {
	for _, t := range repoTypes {
		if t.prefix == prefix {
			return t.typ, true
		}
	}
	return "", false
}
