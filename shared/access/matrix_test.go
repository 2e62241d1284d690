package access

import (
	"fmt"
	"strings"
	"testing"
)

// The matrix: every principal kind, in every relation to the namespace it
// acts on, against every action, on a public and a private resource.

// relation is how the principal stands to the namespace of the resource.
type relation string

const (
	relSelf     relation = "own namespace"     // user namespace "alice" of the user alice
	relStranger relation = "other user"        // user namespace "bob"
	relOrgNone  relation = "org, not a member" // org "acme", alice has no role there
	relOrgRead  relation = "org role read"     // org "acme", alice has role read
	relOrgWrite relation = "org role write"    // org "acme", alice has role write
	relOrgAdmin relation = "org role admin"    // org "acme", alice has role admin
	// org "acme", alice is a contributor; the repository was created by
	// someone else, or by alice.
	relOrgContrib    relation = "org role contributor"
	relOrgContribOwn relation = "org contributor, own repo"
	relOwnOrg        relation = "its own org"        // org token of "acme" on org "acme"
	relOtherOrg      relation = "another org"        // org token of "acme" on org "zeta"
	relUserSpace     relation = "a user's namespace" // org token of "acme" on user "bob"
	relAny           relation = "any"                // anonymous: no relation
)

var userRelations = []relation{relSelf, relStranger, relOrgNone, relOrgRead, relOrgContrib, relOrgContribOwn, relOrgWrite, relOrgAdmin}

// The ids of the matrix's fixtures: alice, another user who created the
// repository in the contributor relation, and the repository.
const (
	aliceID = "u-alice"
	carolID = "u-carol"
	bertID  = "r-bert"
)

// row is one principal kind (and token role) with the relations it can have.
type row struct {
	name      string
	relations []relation
	principal func(rel relation) Principal
}

func user(p Principal) Principal { p.UserID = aliceID; return p }

var rows = []row{
	{"anonymous", []relation{relAny}, func(relation) Principal { return Anonymous() }},
	{"session", userRelations, func(rel relation) Principal { return user(Session("alice", orgsFor(rel))) }},
	{"write token", userRelations, func(rel relation) Principal { return user(UserToken("alice", TokenWrite, orgsFor(rel))) }},
	{"read token", userRelations, func(rel relation) Principal { return user(UserToken("alice", TokenRead, orgsFor(rel))) }},
	{"org token", []relation{relOwnOrg, relOtherOrg, relUserSpace}, func(relation) Principal { return OrgToken("acme") }},
}

// column is an action with the resource it is checked against. RepoMove has
// two: the source repository and the destination namespace.
type column struct {
	name   string
	action Action
	kind   ResourceKind
}

var columns = []column{
	{"repo.read", RepoRead, ResourceRepo},
	{"inference", Inference, ResourceRepo},
	{"repo.write", RepoWrite, ResourceRepo},
	{"repo.settings", RepoSettings, ResourceRepo},
	{"repo.delete", RepoDelete, ResourceRepo},
	{"repo.move from", RepoMove, ResourceRepo},
	{"repo.move to", RepoMove, ResourceNamespace},
	{"repo.create", RepoCreate, ResourceNamespace},
	{"org.read", OrgRead, ResourceOrg},
	{"org.admin", OrgAdmin, ResourceOrg},
	{"org.tokens", OrgTokens, ResourceOrg},
	{"org.create", OrgCreate, ResourceOrg},
	{"account.read", AccountRead, ResourceAccount},
	{"account.tokens", AccountTokens, ResourceAccount},
	{"account.settings", AccountSettings, ResourceAccount},
}

// orgsFor returns alice's memberships for a relation. She always belongs to
// an unrelated org as admin, to show that a role elsewhere grants nothing.
func orgsFor(rel relation) map[string]OrgRole {
	orgs := map[string]OrgRole{"zeta": RoleAdmin}
	switch rel {
	case relOrgRead:
		orgs["acme"] = RoleRead
	case relOrgWrite:
		orgs["acme"] = RoleWrite
	case relOrgAdmin:
		orgs["acme"] = RoleAdmin
	case relOrgContrib, relOrgContribOwn:
		orgs["acme"] = RoleContributor
	}
	return orgs
}

// namespaceFor returns the namespace the resource lives in for a relation.
func namespaceFor(rel relation) (string, OwnerKind) {
	switch rel {
	case relSelf:
		return "alice", OwnerUser
	case relStranger, relUserSpace, relAny:
		return "bob", OwnerUser
	case relOtherOrg:
		return "zeta", OwnerOrg
	}
	return "acme", OwnerOrg
}

func resourceFor(c column, rel relation, private bool) Resource {
	ns, owner := namespaceFor(rel)
	switch c.kind {
	case ResourceRepo:
		creator := carolID
		if rel == relOrgContribOwn {
			creator = aliceID
		}
		return Repo(ns, "bert", RepoModel, private, owner).With(RepoFacts{ID: bertID, Creator: creator})
	case ResourceNamespace:
		return Namespace(ns, owner)
	case ResourceOrg:
		return Org(ns)
	}
	return Account()
}

// cell renders a public and a private outcome: "allow", "401", "403" or
// "404", joined by "/" when they differ.
func cell(pub, priv Decision) string {
	s := func(d Decision) string {
		if d.Allow {
			return "allow"
		}
		return fmt.Sprint(statusOf(d))
	}
	if s(pub) == s(priv) {
		return s(pub)
	}
	return s(pub) + "/" + s(priv)
}

// want is the policy written out by hand, independent of Decide. Columns are
// in the order of columns; a cell "x/y" is x for a public, y for a private
// resource, "x" is both.
//
//	read  = repo.read          inf   = inference       write = repo.write
//	set   = repo.settings      del   = repo.delete     mvF   = repo.move from
//	mvT   = repo.move to       crt   = repo.create     oRd   = org.read
//	oAdm  = org.admin          oTok  = org.tokens      oNew  = org.create
//	aRd   = account.read       aTok  = account.tokens  aSet  = account.settings
const want = `
row          relation            read       inf        write    set      del      mvF      mvT    crt    oRd    oAdm   oTok   oNew   aRd    aTok   aSet
anonymous    any                 allow/401  allow/401  401      401      401      401      401    401    401    401    401    401    401    401    401
session      own namespace       allow      allow      allow    allow    allow    allow    allow  allow  403    403    403    allow  allow  allow  allow
session      other user          allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    allow  allow  allow  allow
session      org, not a member   allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    allow  allow  allow  allow
session      org role read       allow      allow      403      403      403      403      403    403    allow  403    403    allow  allow  allow  allow
session      org role contributor       allow  allow  403      403      403      403      403    allow  allow  403    403    allow  allow  allow  allow
session      org contributor, own repo  allow  allow  allow    allow    allow    403      403    allow  allow  403    403    allow  allow  allow  allow
session      org role write      allow      allow      allow    allow    allow    allow    allow  allow  allow  403    403    allow  allow  allow  allow
session      org role admin      allow      allow      allow    allow    allow    allow    allow  allow  allow  allow  allow  allow  allow  allow  allow
write token  own namespace       allow      allow      allow    allow    allow    allow    allow  allow  403    403    403    allow  allow  403    403
write token  other user          allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    allow  allow  403    403
write token  org, not a member   allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    allow  allow  403    403
write token  org role read       allow      allow      403      403      403      403      403    403    allow  403    403    allow  allow  403    403
write token  org role contributor       allow  allow  403      403      403      403      403    allow  allow  403    403    allow  allow  403    403
write token  org contributor, own repo  allow  allow  allow    allow    allow    403      403    allow  allow  403    403    allow  allow  403    403
write token  org role write      allow      allow      allow    allow    allow    allow    allow  allow  allow  403    403    allow  allow  403    403
write token  org role admin      allow      allow      allow    allow    allow    allow    allow  allow  allow  allow  403    allow  allow  403    403
read token   own namespace       allow      allow      403      403      403      403      403    403    403    403    403    403    allow  403    403
read token   other user          allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    403    allow  403    403
read token   org, not a member   allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    403    allow  403    403
read token   org role read       allow      allow      403      403      403      403      403    403    allow  403    403    403    allow  403    403
read token   org role contributor       allow  allow  403      403      403      403      403    403    allow  403    403    403    allow  403    403
read token   org contributor, own repo  allow  allow  403      403      403      403      403    403    allow  403    403    403    allow  403    403
read token   org role write      allow      allow      403      403      403      403      403    403    allow  403    403    403    allow  403    403
read token   org role admin      allow      allow      403      403      403      403      403    403    allow  403    403    403    allow  403    403
org token    its own org         allow      allow      403      403      403      403      403    403    allow  403    403    403    allow  403    403
org token    another org         allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    403    allow  403    403
org token    a user's namespace  allow/404  allow/404  403/404  403/404  403/404  403/404  403    403    403    403    403    403    allow  403    403
`

// parseWant turns want into row name -> relation -> cells.
func parseWant(t *testing.T) map[string]map[relation][]string {
	t.Helper()
	out := map[string]map[relation][]string{}
	lines := strings.Split(strings.TrimSpace(want), "\n")
	for _, line := range lines[1:] {
		// Row and relation names contain single spaces; columns are
		// separated by two or more.
		var fields []string
		for _, f := range strings.Split(line, "  ") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
		if len(fields) != 2+len(columns) {
			t.Fatalf("want line has %d fields, want %d: %q", len(fields), 2+len(columns), line)
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[relation][]string{}
		}
		out[fields[0]][relation(fields[1])] = fields[2:]
	}
	return out
}

func TestDecideMatrix(t *testing.T) {
	table := parseWant(t)
	checked := 0
	for _, r := range rows {
		for _, rel := range r.relations {
			cells, ok := table[r.name][rel]
			if !ok {
				t.Errorf("want has no line for %s / %s", r.name, rel)
				continue
			}
			p := r.principal(rel)
			for i, c := range columns {
				for _, private := range []bool{false, true} {
					d := Decide(p, c.action, resourceFor(c, rel, private))
					checkDecision(t, d)
					checked++
				}
				got := cell(Decide(p, c.action, resourceFor(c, rel, false)), Decide(p, c.action, resourceFor(c, rel, true)))
				if got != cells[i] {
					t.Errorf("%s, %s, %s: got %s, want %s", r.name, rel, c.name, got, cells[i])
				}
			}
		}
	}
	if want := 28 * len(columns) * 2; checked != want {
		t.Errorf("checked %d combinations, want %d", checked, want)
	}
}

// checkDecision checks the invariants every decision keeps.
func checkDecision(t *testing.T, d Decision) {
	t.Helper()
	switch {
	case d.Allow && (statusOf(d) != 200 || d.Reason != ""):
		t.Errorf("allowed decision %+v has a denial status or reason", d)
	case !d.Allow && statusOf(d) != 401 && statusOf(d) != 403 && statusOf(d) != 404:
		t.Errorf("denied decision %+v has status %d", d, statusOf(d))
	case !d.Allow && d.Reason == "":
		t.Errorf("denied decision %+v has no reason", d)
	case statusOf(d) == 404 && d.Reason != ReasonNotFound:
		t.Errorf("404 reason %q, want %q", d.Reason, ReasonNotFound)
	}
}
