package access

import (
	"strings"
	"testing"
)

// The fine-grained dimension of the matrix: a token holding one permission,
// on the namespace of the relation (a user or org scope) or on the
// repository alone (a repository scope bound to its id), against every
// action in every relation of its owner, on a public and a private
// resource.

type fineScope string

const (
	onNamespace fineScope = "on the namespace"
	onRepo      fineScope = "on the repo"
)

// fineGrant returns the grant of a row: perm on the namespace of rel, or on
// the repository of the matrix.
func fineGrant(perm Permission, scope fineScope, rel relation) *Grant {
	ns, owner := namespaceFor(rel)
	var s Scope
	switch {
	case scope == onRepo:
		s = Scope{Type: EntityModel, ID: bertID, Name: ns + "/bert"}
	case owner == OwnerOrg:
		s = Scope{Type: EntityOrg, ID: "o-" + ns, Name: ns}
	default:
		s = Scope{Type: EntityUser, ID: "u-" + ns, Name: ns}
	}
	s.Permissions = []Permission{perm}
	return &Grant{Scoped: []Scope{s}}
}

func fineRow(name string, grant func(rel relation) *Grant) row {
	return row{name, userRelations, func(rel relation) Principal {
		return FineGrainedToken("alice", aliceID, grant(rel), orgsFor(rel))
	}}
}

// fineRows are the fine-grained rows: each permission on the namespace and
// on the repository, inference granted globally, and every permission on
// a namespace unrelated to the resource.
func fineRows() []row {
	var out []row
	for _, perm := range AllPermissions() {
		for _, scope := range []fineScope{onNamespace, onRepo} {
			perm, scope := perm, scope
			out = append(out, fineRow("fine-grained: "+string(perm)+" "+string(scope),
				func(rel relation) *Grant { return fineGrant(perm, scope, rel) }))
		}
	}
	out = append(out,
		fineRow("fine-grained: "+string(PermInference)+" global",
			func(relation) *Grant { return &Grant{Global: []Permission{PermInference}} }),
		fineRow("fine-grained: all, on another user",
			func(relation) *Grant {
				return &Grant{Scoped: []Scope{{Type: EntityUser, ID: "u-carol", Name: "carol", Permissions: AllPermissions()}}}
			}),
	)
	return out
}

// allRows is the whole matrix: the rows of matrix_test.go and the
// fine-grained ones.
func allRows() []row { return append(append([]row(nil), rows...), fineRows()...) }

// needs is, by hand, the permission each column needs of a fine-grained
// token; "" means no permission grants it (a session is needed), "-"
// that every token may (whoami).
func needs(c column, rel relation) Permission {
	_, owner := namespaceFor(rel)
	switch c.name {
	case "repo.read":
		return PermRepoContentRead
	case "inference":
		return PermInference
	case "repo.write", "repo.settings", "repo.delete", "repo.move from":
		return PermRepoWrite
	case "repo.move to", "repo.create":
		if owner == OwnerOrg {
			return PermOrgWrite
		}
		return PermRepoWrite
	case "org.read":
		return PermOrgRead
	case "account.read":
		return "-"
	}
	return ""
}

// fineWant is the expected cell of a fine-grained row: the write token's
// cell of the same relation (the owner's rights) intersected with what the
// grant covers, written independently of Decide. A private repository
// that no scope covers is a 404, as for a stranger; a public one is
// readable by anyone.
func fineWant(t *testing.T, writeCells []string, r row, rel relation, i int, c column) string {
	t.Helper()
	g := r.principal(rel).Grant
	side := func(pub bool) string {
		base := writeCells[i]
		if a, b, ok := strings.Cut(base, "/"); ok {
			base = b
			if pub {
				base = a
			}
		}
		if base != "allow" {
			return base
		}
		need := needs(c, rel)
		switch need {
		case "-":
			return "allow"
		case "":
			return "403"
		}
		ns, owner := namespaceFor(rel)
		covered, held := false, map[Permission]bool{}
		for _, p := range g.Global {
			held[p] = true
		}
		for _, s := range g.Scoped {
			var hit bool
			switch s.Type {
			case EntityUser:
				hit = owner == OwnerUser && s.Name == ns && c.kind != ResourceOrg
			case EntityOrg:
				hit = owner == OwnerOrg && s.Name == ns
			case EntityModel:
				hit = c.kind == ResourceRepo && s.ID == bertID
			}
			if hit {
				covered = true
				for _, p := range s.Permissions {
					held[p] = true
				}
			}
		}
		if held[PermOrgWrite] {
			held[PermOrgRead] = true
		}
		switch {
		case c.kind == ResourceRepo && !pub && !covered:
			return "404"
		case c.kind == ResourceRepo && pub && c.action == RepoRead:
			return "allow"
		case held[need]:
			return "allow"
		}
		return "403"
	}
	pub, priv := side(true), side(false)
	if pub == priv {
		return pub
	}
	return pub + "/" + priv
}

func TestDecideFineGrainedMatrix(t *testing.T) {
	table := parseWant(t)
	checked := 0
	for _, r := range fineRows() {
		for _, rel := range r.relations {
			p := r.principal(rel)
			for i, c := range columns {
				pub, priv := Decide(p, c.action, resourceFor(c, rel, false)), Decide(p, c.action, resourceFor(c, rel, true))
				checkDecision(t, pub)
				checkDecision(t, priv)
				checked += 2
				want := fineWant(t, table["write token"][rel], r, rel, i, c)
				if got := cell(pub, priv); got != want {
					t.Errorf("%s, %s, %s: got %s (%q / %q), want %s", r.name, rel, c.name, got, pub.Reason, priv.Reason, want)
				}
				// A 403 of the grant names the missing permission and the entity.
				for _, d := range []Decision{pub, priv} {
					if need := needs(c, rel); statusOf(d) == 403 && need != "" && need != "-" && strings.HasPrefix(d.Reason, "This token is missing") {
						res := resourceFor(c, rel, false)
						if !strings.Contains(d.Reason, string(need)) || !strings.Contains(d.Reason, res.Entity()) {
							t.Errorf("%s, %s, %s: reason %q does not name %s on %s", r.name, rel, c.name, d.Reason, need, res.Entity())
						}
					}
				}
			}
		}
	}
	// Every permission, both scopes, plus the two extra rows, in every
	// owner relation, against every column, public and private.
	if want := (len(AllPermissions())*2 + 2) * len(userRelations) * len(columns) * 2; checked != want {
		t.Errorf("checked %d combinations, want %d", checked, want)
	}
}

// TestGrantNeverExceedsOwner: whatever the grant, a fine-grained token is
// allowed nothing its owner's write token is not.
func TestGrantNeverExceedsOwner(t *testing.T) {
	all := &Grant{Global: AllPermissions()}
	for _, rel := range userRelations {
		ns, owner := namespaceFor(rel)
		typ := EntityUser
		if owner == OwnerOrg {
			typ = EntityOrg
		}
		all.Scoped = []Scope{{Type: typ, Name: ns, Permissions: AllPermissions()}, {Type: EntityModel, ID: bertID, Permissions: AllPermissions()}}
		p := FineGrainedToken("alice", aliceID, all, orgsFor(rel))
		w := user(UserToken("alice", TokenWrite, orgsFor(rel)))
		for _, c := range columns {
			for _, private := range []bool{false, true} {
				res := resourceFor(c, rel, private)
				if Decide(p, c.action, res).Allow && !Decide(w, c.action, res).Allow {
					t.Errorf("%s %s private=%v: fine-grained allowed what the owner's write token may not", rel, c.name, private)
				}
			}
		}
	}
}

func TestPendingApprovalRefusesTheOrg(t *testing.T) {
	g := &Grant{Scoped: []Scope{{Type: EntityOrg, Name: "acme", Permissions: AllPermissions()}}, Pending: []string{"acme"}}
	p := FineGrainedToken("alice", aliceID, g, map[string]OrgRole{"acme": RoleWrite})
	d := Decide(p, RepoWrite, Repo("acme", "bert", RepoModel, true, OwnerOrg))
	if d.Allow || !strings.Contains(d.Reason, "pending approval") || !strings.Contains(d.Reason, "acme") {
		t.Errorf("pending token: got %+v, want a 403 saying it waits for acme's approval", d)
	}
	g.Pending = nil
	if d := Decide(p, RepoWrite, Repo("acme", "bert", RepoModel, true, OwnerOrg)); !d.Allow {
		t.Errorf("approved token: got %+v, want allow", d)
	}
}

// TestApprovalDecidedAtUse (invariant 9): whether a token waits for an
// approval is read from the resource's owner organization at the
// request, not from what was known when the token was made.
func TestApprovalDecidedAtUse(t *testing.T) {
	// A token made for alice's own repository: nothing pending.
	g := &Grant{Scoped: []Scope{{Type: EntityModel, ID: "r1", Permissions: []Permission{PermRepoContentRead, PermRepoWrite}}}}
	p := FineGrainedToken("alice", aliceID, g, map[string]OrgRole{"acme": RoleWrite})
	own := Repo("alice", "bert", RepoModel, true, OwnerUser)
	own.ID = "r1"
	if d := Decide(FineGrainedToken("alice", aliceID, g, nil), RepoWrite, own); !d.Allow {
		t.Fatalf("own repository: got %+v, want allow", d)
	}
	// The same repository after a move into acme.
	moved := Repo("acme", "bert", RepoModel, true, OwnerOrg)
	moved.ID = "r1"
	for _, pol := range []TokenPolicy{"", PolicyAllowAll, PolicyFineGrainedOnly} {
		moved.Policy = pol
		if d := Decide(p, RepoWrite, moved); !d.Allow {
			t.Errorf("moved, policy %q: got %+v, want allow", pol, d)
		}
	}
	moved.Policy = PolicyRequireApproval
	for _, a := range []Action{RepoRead, RepoWrite, RepoSettings} {
		d := Decide(p, a, moved)
		if d.Allow || d.PendingOrg != "acme" || !strings.Contains(d.Reason, "pending approval by the admins of org acme") {
			t.Errorf("moved into acme requiring approval, %v: got %+v, want refused pending acme", a, d)
		}
	}
	// Approved by acme: allowed, whatever the list of asked orgs says.
	g.Approved, g.Pending = []string{"ACME"}, []string{"acme"}
	if d := Decide(p, RepoWrite, moved); !d.Allow {
		t.Errorf("approved: got %+v, want allow", d)
	}
	// Asked and denied stays refused even once acme stops requiring it.
	g.Approved = nil
	moved.Policy = PolicyAllowAll
	if d := Decide(p, RepoWrite, moved); d.Allow || d.PendingOrg != "acme" {
		t.Errorf("denied, policy relaxed: got %+v, want refused", d)
	}
}

func TestFineGrainedOnlyPolicy(t *testing.T) {
	orgs := map[string]OrgRole{"acme": RoleWrite}
	priv := Repo("acme", "bert", RepoModel, true, OwnerOrg)
	priv.Policy = PolicyFineGrainedOnly
	pub := priv
	pub.Private = false
	w := UserToken("alice", TokenWrite, orgs)
	if d := Decide(w, RepoWrite, pub); d.Allow || !strings.Contains(d.Reason, "only fine-grained") {
		t.Errorf("write token under fineGrained only: got %+v, want a 403 saying why", d)
	}
	if d := Decide(w, RepoRead, priv); d.Allow || statusOf(d) != 403 {
		t.Errorf("write token reading a private repo under fineGrained only: got %+v, want 403", d)
	}
	if d := Decide(w, RepoRead, pub); !d.Allow {
		t.Errorf("public read under fineGrained only: got %+v, want allow (anyone may)", d)
	}
	if d := Decide(Session("alice", orgs), RepoWrite, priv); !d.Allow {
		t.Errorf("session under fineGrained only: got %+v, want allow", d)
	}
	fg := FineGrainedToken("alice", aliceID, &Grant{Scoped: []Scope{{Type: EntityOrg, Name: "acme", Permissions: []Permission{PermRepoWrite}}}}, orgs)
	if d := Decide(fg, RepoWrite, priv); !d.Allow {
		t.Errorf("fine-grained token under fineGrained only: got %+v, want allow", d)
	}
}

func TestRepoScopeFollowsTheID(t *testing.T) {
	g := &Grant{Scoped: []Scope{{Type: EntityModel, ID: bertID, Name: "alice/old-name", Permissions: []Permission{PermRepoWrite}}}}
	p := FineGrainedToken("alice", aliceID, g, nil)
	renamed := Repo("alice", "new-name", RepoModel, true, OwnerUser).With(RepoFacts{ID: bertID})
	if d := Decide(p, RepoWrite, renamed); !d.Allow {
		t.Errorf("renamed repo: got %+v, want allow (the scope binds to the id)", d)
	}
	other := Repo("alice", "old-name", RepoModel, true, OwnerUser).With(RepoFacts{ID: "r-other"})
	if d := Decide(p, RepoWrite, other); statusOf(d) != 404 {
		t.Errorf("a new repo under the old name: got %+v, want 404", d)
	}
	dataset := Repo("alice", "new-name", RepoDataset, true, OwnerUser).With(RepoFacts{ID: bertID})
	if d := Decide(p, RepoWrite, dataset); statusOf(d) != 404 {
		t.Errorf("same id, other type: got %+v, want 404", d)
	}
}
