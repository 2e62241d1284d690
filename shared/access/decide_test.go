package access

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

func TestDemotionTakesEffectOnNextCall(t *testing.T) {
	repo := Repo("acme", "bert", RepoModel, true, OwnerOrg)
	orgs := map[string]OrgRole{"acme": RoleWrite}
	tok := UserToken("alice", TokenWrite, orgs)
	if d := Decide(tok, RepoWrite, repo); !d.Allow {
		t.Fatalf("write as org writer: got %+v, want allow", d)
	}

	orgs["acme"] = RoleRead // the store now says read; same token
	if d := Decide(tok, RepoWrite, repo); d.Allow || statusOf(d) != 403 {
		t.Errorf("write after demotion to read: got %+v, want 403", d)
	}
	if d := Decide(tok, RepoRead, repo); !d.Allow {
		t.Errorf("read after demotion to read: got %+v, want allow", d)
	}

	delete(orgs, "acme") // removed from the org
	if d := Decide(tok, RepoRead, repo); statusOf(d) != 404 {
		t.Errorf("read after removal: got %+v, want 404", d)
	}
	if d := Decide(tok, RepoWrite, repo); statusOf(d) != 404 {
		t.Errorf("write after removal: got %+v, want 404", d)
	}
}

func TestOrgTokenOnAnotherOrg(t *testing.T) {
	tok := OrgToken("acme")
	tests := []struct {
		name   string
		action Action
		res    Resource
		want   int
	}{
		{"own private repo", RepoRead, Repo("acme", "bert", RepoModel, true, OwnerOrg), 200},
		{"own private inference", Inference, Repo("acme", "bert", RepoModel, true, OwnerOrg), 200},
		{"other org private repo", RepoRead, Repo("zeta", "bert", RepoModel, true, OwnerOrg), 404},
		{"other org private inference", Inference, Repo("zeta", "bert", RepoModel, true, OwnerOrg), 404},
		{"other org public repo", RepoRead, Repo("zeta", "bert", RepoModel, false, OwnerOrg), 200},
		{"other org public write", RepoWrite, Repo("zeta", "bert", RepoModel, false, OwnerOrg), 403},
		{"other org read", OrgRead, Org("zeta"), 403},
		{"user named like its org", RepoRead, Repo("acme", "bert", RepoModel, true, OwnerUser), 404},
		{"own org write", RepoWrite, Repo("acme", "bert", RepoModel, false, OwnerOrg), 403},
		{"own org admin", OrgAdmin, Org("acme"), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tok, tt.action, tt.res); statusOf(got) != tt.want {
				t.Errorf("got %+v, want status %d", got, tt.want)
			}
		})
	}
}

func TestOrgTokenIgnoresMemberships(t *testing.T) {
	// An org token carrying a membership map (a caller bug) gains nothing.
	tok := OrgToken("acme")
	tok.User = "alice"
	tok.Orgs = map[string]OrgRole{"zeta": RoleAdmin}
	if d := Decide(tok, RepoRead, Repo("zeta", "x", RepoModel, true, OwnerOrg)); statusOf(d) != 404 {
		t.Errorf("read: got %+v, want 404", d)
	}
	if d := Decide(tok, RepoRead, Repo("alice", "x", RepoModel, true, OwnerUser)); statusOf(d) != 404 {
		t.Errorf("read user repo: got %+v, want 404", d)
	}
}

func TestTokensCannotManageCredentials(t *testing.T) {
	admin := map[string]OrgRole{"acme": RoleAdmin}
	tests := []struct {
		name   string
		p      Principal
		action Action
		res    Resource
		want   Decision
	}{
		{"write token, account.tokens", UserToken("alice", TokenWrite, admin), AccountTokens, Account(), sessionOnly},
		{"read token, account.tokens", UserToken("alice", TokenRead, admin), AccountTokens, Account(), sessionOnly},
		{"org token, account.tokens", OrgToken("acme"), AccountTokens, Account(), sessionOnly},
		{"write token, account.settings", UserToken("alice", TokenWrite, admin), AccountSettings, Account(), sessionOnly},
		{"admin write token, org.tokens", UserToken("alice", TokenWrite, admin), OrgTokens, Org("acme"), sessionOnly},
		{"admin session, org.tokens", Session("alice", admin), OrgTokens, Org("acme"), allow},
		{"session, account.tokens", Session("alice", nil), AccountTokens, Account(), allow},
		{"anonymous, account.tokens", Anonymous(), AccountTokens, Account(), login},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.p, tt.action, tt.res); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMoveNeedsBothNamespaces(t *testing.T) {
	alice := Session("alice", map[string]OrgRole{"acme": RoleWrite, "zeta": RoleRead})
	src := Repo("alice", "bert", RepoModel, true, OwnerUser)
	tests := []struct {
		name string
		dst  Resource
		want bool
	}{
		{"to own org with write", Namespace("acme", OwnerOrg), true},
		{"to org with read only", Namespace("zeta", OwnerOrg), false},
		{"to another user", Namespace("bob", OwnerUser), false},
		{"within own namespace", Namespace("alice", OwnerUser), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(alice, RepoMove, src).Allow && Decide(alice, RepoMove, tt.dst).Allow
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInvalidInputIsDenied(t *testing.T) {
	repo := Repo("alice", "bert", RepoModel, false, OwnerUser)
	tests := []struct {
		name   string
		p      Principal
		action Action
		res    Resource
	}{
		{"session without user", Session("", nil), RepoRead, repo},
		{"token without role", UserToken("alice", "", nil), RepoRead, repo},
		{"token with unknown role", UserToken("alice", "admin", nil), RepoRead, repo},
		{"org token without org", OrgToken(""), RepoRead, repo},
		{"unknown principal kind", Principal{Kind: 9, User: "alice"}, RepoRead, repo},
		{"unknown action", Session("alice", nil), "repo.everything", repo},
		{"create on a repo", Session("alice", nil), RepoCreate, repo},
		{"read on a namespace", Session("alice", nil), RepoRead, Namespace("alice", OwnerUser)},
		{"tokens on an org", Session("alice", nil), AccountTokens, Org("acme")},
		{"zero resource", Session("alice", nil), RepoRead, Resource{}},
		{"repo without owner kind", Session("alice", nil), RepoRead, Repo("alice", "bert", RepoModel, false, 0)},
		{"repo without name", Session("alice", nil), RepoRead, Repo("alice", "", RepoModel, false, OwnerUser)},
		{"empty namespace", Session("alice", nil), RepoCreate, Namespace("", OwnerUser)},
		{"empty org", Session("alice", nil), OrgCreate, Org("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.p, tt.action, tt.res); got != invalid {
				t.Errorf("got %+v, want %+v", got, invalid)
			}
		})
	}
}

func TestUnknownOrgRoleIsNoMembership(t *testing.T) {
	p := Session("alice", map[string]OrgRole{"acme": "owner", "zeta": ""})
	for _, org := range []string{"acme", "zeta"} {
		if d := Decide(p, RepoRead, Repo(org, "bert", RepoModel, true, OwnerOrg)); statusOf(d) != 404 {
			t.Errorf("%s: got %+v, want 404", org, d)
		}
	}
}

// TestHiddenReasonsDoNotNameTheResource: a 401 or 404 never names what
// it hides (a 403 may: the caller can see the thing, and a 403 says which
// permission is missing on which entity).
func TestHiddenReasonsDoNotNameTheResource(t *testing.T) {
	for _, r := range allRows() {
		for _, rel := range r.relations {
			p := r.principal(rel)
			for _, c := range columns {
				res := resourceFor(c, rel, true)
				d := Decide(p, c.action, res)
				if s := statusOf(d); s != 401 && s != 404 {
					continue
				}
				for _, name := range []string{res.Namespace, res.Name} {
					if name != "" && strings.Contains(d.Reason, name) {
						t.Errorf("%s %s %s: reason %q names %q", r.name, rel, c.name, d.Reason, name)
					}
				}
			}
		}
	}
}

func TestActionsAllFitAResource(t *testing.T) {
	kinds := []ResourceKind{ResourceRepo, ResourceNamespace, ResourceOrg, ResourceAccount}
	covered := map[Action]bool{}
	for _, c := range columns {
		covered[c.action] = true
	}
	for _, a := range Actions() {
		n := 0
		for _, k := range kinds {
			if a.fits(k) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("action %s fits no resource", a)
		}
		if !covered[a] {
			t.Errorf("action %s is missing from the matrix", a)
		}
	}
}

// statusOf is the HTTP status a decision becomes at the edge.
func statusOf(d Decision) int {
	if d.Allow {
		return 200
	}
	return httpapi.Status(d.Kind)
}
