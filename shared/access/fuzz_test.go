package access

import "testing"

// FuzzDecide checks invariants over arbitrary principals and resources:
// Decide never panics, every decision is well formed, read tokens and org
// tokens never change anything, anonymous callers only read public
// repositories, and only sessions manage credentials.
func FuzzDecide(f *testing.F) {
	f.Add(uint8(1), "alice", "write", "", "acme", "admin", uint8(2), "repo.write", uint8(1), "acme", "bert", true, uint8(2))
	f.Add(uint8(3), "", "", "acme", "", "", uint8(0), "repo.read", uint8(1), "acme", "bert", true, uint8(2))
	f.Add(uint8(0), "", "", "", "", "", uint8(0), "repo.read", uint8(1), "bob", "x", false, uint8(1))
	f.Fuzz(func(t *testing.T, kind uint8, user, role, org, memberOf, memberRole string, ownerOrgRole uint8,
		action string, resKind uint8, ns, name string, private bool, owner uint8) {
		p := Principal{
			Kind: PrincipalKind(kind % 5), User: user, Role: TokenRole(role), Org: org,
			Orgs: map[string]OrgRole{memberOf: OrgRole(memberRole)},
		}
		r := Resource{Kind: ResourceKind(resKind % 6), Namespace: ns, Name: name, Private: private, Owner: OwnerKind(owner % 4)}
		a := Action(action)
		d := Decide(p, a, r)

		if d.Allow != (statusOf(d) == 200) {
			t.Fatalf("decision %+v: Allow and Status disagree", d)
		}
		if !d.Allow && d.Reason == "" {
			t.Fatalf("denial %+v without reason", d)
		}
		if !d.Allow {
			return
		}
		readOnly := a == RepoRead || a == Inference || a == OrgRead || a == AccountRead
		switch {
		case p.Kind == KindAnonymous && !((a == RepoRead || a == Inference) && !r.Private):
			t.Fatalf("anonymous allowed %s on %+v", a, r)
		case (p.Kind == KindOrgToken || (p.Kind == KindUserToken && p.Role == TokenRead)) && !readOnly:
			t.Fatalf("%s (role %q) allowed %s", p.Kind, p.Role, a)
		case (a == AccountTokens || a == AccountSettings || a == OrgTokens) && p.Kind != KindSession:
			t.Fatalf("%s allowed %s", p.Kind, a)
		case r.Kind == ResourceRepo && r.Private && p.Kind == KindUserToken && r.Owner == OwnerUser && p.User != r.Namespace:
			t.Fatalf("token of %q allowed %s on private repo of user %q", p.User, a, r.Namespace)
		}
	})
}
