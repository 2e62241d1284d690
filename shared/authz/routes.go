package authz

import (
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
)

// Need says what a route requires before its function runs.
type Need uint8

// Needs.
const (
	NeedPublic  Need = iota // anyone; a credential, if sent, must still be valid
	NeedAccount             // Decide(action, Account)
	NeedRepo                // Decide(action, the repo named by the path)
	NeedOrg                 // Decide(action, the org named by {org})
)

// Route maps a method and path pattern to what the policy must allow.
// Patterns use API Gateway syntax: literal segments and {param} segments,
// and a last greedy {param+} that takes one or more segments.
type Route struct {
	Method  string // GET, POST, ... or ANY
	Pattern string
	Need    Need
	Action  access.Action
	// RepoType is the repository type for NeedRepo routes.
	RepoType access.RepoType
	// Git: the {repo} segment carries a ".git" suffix (git and LFS paths).
	Git bool
	// ServiceAction: git info/refs, whose action depends on ?service=.
	ServiceAction bool
	// Proxy: no function of ours runs behind the route (the git backend),
	// so a denial must be a gateway denial, never deferred to a function.
	Proxy bool
	// Web: a server-rendered page of the web function. Only these routes
	// read the session cookie (see webcookie.go); every other route takes
	// credentials from the Authorization header alone.
	Web bool

	segs []string
}

var repoTypes = []struct {
	prefix, apiPrefix string
	typ               access.RepoType
}{
	{"", "/api/models", access.RepoModel},
	{"/datasets", "/api/datasets", access.RepoDataset},
	{"/spaces", "/api/spaces", access.RepoSpace},
}

// Table is the route table: every route of the HTTP API and the Inference
// API, and the git smart-HTTP and LFS paths. A test checks it against
// template.yaml.
var Table = buildTable()

func buildTable() []Route {
	acct := func(m, p string, a access.Action) Route {
		return Route{Method: m, Pattern: p, Need: NeedAccount, Action: a}
	}
	pub := func(m, p string) Route { return Route{Method: m, Pattern: p, Need: NeedPublic} }
	org := func(m, p string, a access.Action) Route {
		return Route{Method: m, Pattern: p, Need: NeedOrg, Action: a}
	}
	rs := []Route{
		pub("GET", "/api/health"),
		pub("POST", "/api/signup"),
		pub("POST", "/api/emails/verify"),
		pub("POST", "/api/emails/resend"),
		pub("POST", "/api/login"),
		pub("POST", "/api/credentials/revoke"),
		acct("POST", "/api/logout", access.AccountRead),
		acct("GET", "/api/whoami-v2", access.AccountRead),
		acct("GET", "/api/settings/emails", access.AccountSettings),
		acct("POST", "/api/settings/emails", access.AccountSettings),
		acct("GET", "/api/settings/audit", access.AccountSettings), // login addresses, token events: a session only
		acct("GET", "/api/settings/tokens", access.AccountTokens),
		acct("POST", "/api/settings/tokens", access.AccountTokens),
		acct("DELETE", "/api/settings/tokens/{id}", access.AccountTokens),
		acct("POST", "/api/settings/tokens/{id}/refresh", access.AccountTokens),
		acct("GET", "/api/settings/gpg-keys", access.AccountSettings),
		acct("POST", "/api/settings/gpg-keys", access.AccountSettings),
		acct("DELETE", "/api/settings/gpg-keys/{id}", access.AccountSettings),
		acct("GET", "/api/settings/ssh-keys", access.AccountSettings),
		acct("POST", "/api/settings/ssh-keys", access.AccountSettings),
		acct("DELETE", "/api/settings/ssh-keys/{id}", access.AccountSettings),
		// Trusted model signers (the function asks for a session).
		acct("GET", "/api/settings/model-signers", access.AccountSettings),
		acct("POST", "/api/settings/model-signers", access.AccountSettings),
		acct("DELETE", "/api/settings/model-signers/{id}", access.AccountSettings),
		org("GET", "/api/organizations/{org}/settings/model-signers", access.OrgRead),
		org("POST", "/api/organizations/{org}/settings/model-signers", access.OrgAdmin),
		org("DELETE", "/api/organizations/{org}/settings/model-signers/{id}", access.OrgAdmin),
		// Repo create/delete/move name their repos in the body: the authorizer
		// requires a known caller, the function decides on the body.
		acct("POST", "/api/repos/create", access.AccountRead),
		acct("DELETE", "/api/repos/delete", access.AccountRead),
		acct("POST", "/api/repos/move", access.AccountRead),
		acct("POST", "/api/organizations", access.AccountRead),
		pub("GET", "/api/organizations/{org}"),
		org("PUT", "/api/organizations/{org}", access.OrgAdmin),
		org("GET", "/api/organizations/{org}/members", access.OrgRead),
		org("PUT", "/api/organizations/{org}/members/{username}", access.OrgAdmin),
		// Removing a member: admins remove anyone, members remove themselves.
		org("DELETE", "/api/organizations/{org}/members/{username}", access.OrgRead),
		org("GET", "/api/organizations/{org}/settings", access.OrgRead),
		org("PUT", "/api/organizations/{org}/settings", access.OrgAdmin),
		org("GET", "/api/organizations/{org}/token", access.OrgRead),
		org("POST", "/api/organizations/{org}/token/refresh", access.OrgTokens),
		org("DELETE", "/api/organizations/{org}/token", access.OrgTokens),
		org("GET", "/api/organizations/{org}/audit", access.OrgAdmin),
		// Members' tokens under the org's token policy: admins, session only.
		org("GET", "/api/organizations/{org}/settings/tokens", access.OrgTokens),
		org("POST", "/api/organizations/{org}/settings/tokens/{id}/approve", access.OrgTokens),
		org("POST", "/api/organizations/{org}/settings/tokens/{id}/deny", access.OrgTokens),
		org("POST", "/api/organizations/{org}/settings/tokens/revoke", access.OrgTokens),
	}
	for _, t := range repoTypes {
		repo := func(m, p string, a access.Action) Route {
			return Route{Method: m, Pattern: p, Need: NeedRepo, Action: a, RepoType: t.typ}
		}
		git := func(m, p string, a access.Action) Route {
			r := repo(m, t.prefix+"/{namespace}/{repo}"+p, a)
			r.Git = true
			return r
		}
		api := t.apiPrefix + "/{namespace}/{name}"
		rs = append(rs,
			repo("GET", api, access.RepoRead),
			repo("GET", api+"/revision/{revision}", access.RepoRead),
			repo("GET", api+"/auth-check", access.RepoRead),
			repo("GET", api+"/model-signature/{revision}", access.RepoRead),
			// Lists: anyone; the function shows each caller what it may read.
			pub("GET", t.apiPrefix),
			repo("PUT", api+"/settings", access.RepoSettings),
			repo("GET", api+"/tree/{revision}", access.RepoRead),
			repo("POST", api+"/preupload/{revision}", access.RepoWrite),
			repo("GET", api+"/tree/{revision}/{path+}", access.RepoRead),
			repo("POST", api+"/paths-info/{revision}", access.RepoRead),
			repo("POST", api+"/commit/{revision}", access.RepoWrite),
			// Downloads (the uploads function; GET and HEAD).
			repo("GET", t.prefix+"/{namespace}/{name}/resolve/{revision}/{path+}", access.RepoRead),
			repo("HEAD", t.prefix+"/{namespace}/{name}/resolve/{revision}/{path+}", access.RepoRead),
			repo("GET", t.prefix+"/{namespace}/{name}/raw/{revision}/{path+}", access.RepoRead),
			repo("HEAD", t.prefix+"/{namespace}/{name}/raw/{revision}/{path+}", access.RepoRead),
			repo("POST", api+"/commits/verify", access.RepoWrite),
			repo("GET", api+"/commits/{sha}/verification", access.RepoRead),
			repo("GET", api+"/commits/{rev}", access.RepoRead),
			// LFS batch: download needs read; the uploads function checks
			// write for upload operations, which it reads from the body.
			git("POST", "/info/lfs/objects/batch", access.RepoRead),
			git("POST", "/info/lfs/verify", access.RepoWrite),
			// Multipart completion: the clients send no credentials; the
			// upload id in its URL is the capability (shared/lfs).
			pub("POST", t.prefix+"/{namespace}/{repo}/info/lfs/complete/{oid}"),
		)
		if t.typ == access.RepoModel {
			rs = append(rs, repo("GET", api+"/eval-results/{revision}", access.RepoRead))
		}
		infoRefs := git("GET", "/info/refs", access.RepoRead)
		infoRefs.ServiceAction, infoRefs.Proxy = true, true
		up := git("POST", "/git-upload-pack", access.RepoRead)
		up.Proxy = true
		rp := git("POST", "/git-receive-pack", access.RepoWrite)
		rp.Proxy = true
		rs = append(rs, infoRefs, up, rp)
	}
	rs = append(rs, webRoutes()...)
	// The Inference API (a separate REST API; model repos only).
	rs = append(rs, Route{Method: "POST", Pattern: "/models/{namespace}/{name}", Need: NeedRepo, Action: access.Inference, RepoType: access.RepoModel, Proxy: true})
	for i := range rs {
		rs[i].segs = strings.Split(strings.TrimPrefix(rs[i].Pattern, "/"), "/")
	}
	return rs
}

// Match finds the route for method and path like API Gateway does: literal
// segments beat parameters. It returns the route and its path parameters.
func Match(routes []Route, method, path string) (*Route, map[string]string, bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *Route
	bestScore := -1
	for i := range routes {
		r := &routes[i]
		greedy := len(r.segs) > 0 && isGreedy(r.segs[len(r.segs)-1])
		if (r.Method != "ANY" && r.Method != method) || (!greedy && len(r.segs) != len(segs)) || (greedy && len(segs) < len(r.segs)) {
			continue
		}
		score, ok := 0, true
		for j, s := range r.segs {
			if isGreedy(s) {
				score-- // a greedy route loses to an exact one
				continue
			}
			if isParam(s) {
				if segs[j] == "" {
					ok = false
					break
				}
				continue
			}
			if s != segs[j] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestScore = r, score
		}
	}
	if best == nil {
		return nil, nil, false
	}
	params := map[string]string{}
	for j, s := range best.segs {
		switch {
		case isGreedy(s):
			params[s[1:len(s)-2]] = strings.Join(segs[j:], "/")
		case isParam(s):
			params[s[1:len(s)-1]] = segs[j]
		}
	}
	return best, params, true
}

func isParam(s string) bool  { return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' }
func isGreedy(s string) bool { return len(s) > 3 && s[0] == '{' && strings.HasSuffix(s, "+}") }

// GreedyParams names the greedy parameters of the table: file paths, which
// may hold '/' and are checked by the function that reads them.
var GreedyParams = map[string]bool{"path": true}
