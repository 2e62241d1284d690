package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/token"
)

// fineNeed is, written by hand per route, the one permission a
// fine-grained token needs for it when its owner may do everything there:
// "*" means any token may (whoami, routes whose function decides on the
// body), "" that no permission grants it (a session is needed).
func fineNeed(t *testing.T, r Route, service string) access.Permission {
	p := r.Pattern
	switch {
	case p == "/models/{namespace}/{name}":
		return access.PermInference
	case strings.HasSuffix(p, "/info/refs"):
		if service == "git-receive-pack" {
			return access.PermRepoWrite
		}
		return access.PermRepoContentRead
	case strings.HasSuffix(p, "/git-upload-pack"), strings.HasSuffix(p, "/info/lfs/objects/batch"),
		strings.HasSuffix(p, "/tree/{revision}"), strings.HasSuffix(p, "/verification"),
		strings.HasSuffix(p, "/tree/{revision}/{path+}"), strings.HasSuffix(p, "/revision/{revision}"),
		strings.HasSuffix(p, "/auth-check"), r.Method == "GET" && strings.HasSuffix(p, "/commits/{rev}"), strings.HasSuffix(p, "/model-signature/{revision}"),
		strings.HasSuffix(p, "/paths-info/{revision}"), strings.HasSuffix(p, "/eval-results/{revision}"), strings.Contains(p, "/resolve/{revision}/"), strings.Contains(p, "/raw/{revision}/"):
		return access.PermRepoContentRead
	case strings.HasSuffix(p, "/git-receive-pack"), strings.HasSuffix(p, "/info/lfs/verify"), strings.HasSuffix(p, "/preupload/{revision}"), strings.HasSuffix(p, "/commit/{revision}"),
		strings.HasSuffix(p, "/commits/verify"), r.Method == "PUT" && strings.HasSuffix(p, "/{name}/settings"):
		return access.PermRepoWrite
	case r.Need == NeedRepo && r.Method == "GET" && strings.HasSuffix(p, "/{namespace}/{name}"):
		return access.PermRepoContentRead
	case p == "/api/whoami-v2", p == "/api/logout", strings.HasPrefix(p, "/api/repos/"), p == "/api/organizations" && r.Method == "POST":
		return "*"
	case strings.HasPrefix(p, "/api/settings/"):
		return ""
	case strings.HasPrefix(p, "/api/organizations/{org}"):
		switch {
		case r.Method == "GET" && (strings.HasSuffix(p, "/members") || p == "/api/organizations/{org}/settings" || strings.HasSuffix(p, "/token") || strings.HasSuffix(p, "/settings/model-signers")),
			r.Method == "DELETE" && strings.HasSuffix(p, "/members/{username}"):
			return access.PermOrgRead
		}
		return "" // profile, members, settings, org token, audit, members' tokens
	}
	t.Errorf("route %s %s has no expectation in fineNeed", r.Method, p)
	return ""
}

// TestFineGrainedRoutes decides every route of the table (git push and
// pull, LFS, the Inference API, commit verification, every org and account
// route) for a fine-grained token holding each permission alone on org
// "acme", whose owner is an admin of acme, against acme's private model.
func TestFineGrainedRoutes(t *testing.T) {
	w := &fakeWorld{
		tokens: map[string]access.Caller{},
		roles:  map[string]access.OrgRole{"acme/alice": access.RoleAdmin},
		repos:  map[string]access.RepoFacts{"acme/secret": {Private: true, Owner: access.OwnerOrg, ID: "r-secret"}},
	}
	a := &Authorizer{Auth: w, Facts: w}
	secrets := map[access.Permission]string{}
	for _, p := range access.AllPermissions() {
		s := mustToken(t, token.KindUser)
		secrets[p] = s
		w.tokens[s] = access.Caller{Kind: access.KindUserToken, UserID: "u1", Username: "alice", TokenID: "t-" + string(p), Role: access.TokenFineGrained,
			Grant: &access.Grant{Scoped: []access.Scope{{Type: access.EntityOrg, ID: "o-acme", Name: "acme", Permissions: []access.Permission{p}}}}}
	}
	params := map[string]string{"namespace": "acme", "name": "secret", "repo": "secret.git", "org": "acme", "id": "x1",
		"username": "bob", "sha": strings.Repeat("a", 40), "revision": "main", "rev": "main", "path+": "dir/config.json"}
	cells := 0
	for _, r := range Table {
		if r.Need == NeedPublic {
			continue
		}
		path := r.Pattern
		for k, v := range params {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		services := []string{""}
		if r.ServiceAction {
			services = []string{"git-upload-pack", "git-receive-pack"}
		}
		for _, svc := range services {
			query := ""
			if svc != "" {
				query = "service=" + svc
			}
			need := fineNeed(t, r, svc)
			for _, p := range access.AllPermissions() {
				out := a.Decide(context.Background(), Request{Method: r.Method, Path: path, Query: query,
					Header: map[string][]string{"Authorization": {"Bearer " + secrets[p]}}})
				want := need == "*" || need == p || (need == access.PermOrgRead && p == access.PermOrgWrite)
				cells++
				if out.Allow != want {
					t.Errorf("%s %s?%s with %s: allowed %v, want %v (%v)", r.Method, path, query, p, out.Allow, want, out.Deny)
					continue
				}
				if !want && need != "" && need != "*" {
					// A denial for want of a permission names it and the entity.
					if msg := out.Deny.Msg; !strings.Contains(msg, string(need)) || !strings.Contains(msg, "acme") {
						t.Errorf("%s %s with %s: reason %q does not name %s on acme", r.Method, path, p, msg, need)
					}
				}
			}
		}
	}
	if cells < len(Table)*len(access.AllPermissions())/2 {
		t.Errorf("decided %d cells; the table has %d routes", cells, len(Table))
	}
}
