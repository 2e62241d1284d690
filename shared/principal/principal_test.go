package principal

import (
	"reflect"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// TestGrantTravels: a fine-grained caller's grant reaches the function;
// without it (or damaged) the caller is refused, never widened.
func TestGrantTravels(t *testing.T) {
	g := &access.Grant{Scoped: []access.Scope{{Type: access.EntityOrg, Name: "acme", Permissions: []access.Permission{access.PermRepoWrite}}}}
	c := access.Caller{Kind: access.KindUserToken, UserID: "u1", Username: "alice", TokenID: "t1", Role: access.TokenFineGrained, Grant: g}
	m := Context(c, nil)
	got, deny := FromContext(m)
	if deny != nil || !reflect.DeepEqual(got.Grant, g) || got.Role != access.TokenFineGrained {
		t.Fatalf("got %+v, %v; want the grant back", got, deny)
	}
	for _, bad := range []string{"", "1|g0|r0", "{}"} {
		m[KeyGrant] = bad
		if bad == "" {
			delete(m, KeyGrant)
		}
		if _, deny := FromContext(m); deny == nil || deny.Kind != apperr.Unauthenticated {
			t.Errorf("grant %q: got %v, want a 401", bad, deny)
		}
	}
}

// TestEstablishedTravels: what the authorizer read of the repository
// reaches the function on an allowed request, whole or not at all; a
// deferred denial carries none of it.
func TestEstablishedTravels(t *testing.T) {
	e := &access.Established{Type: access.RepoModel, Role: access.RoleWrite, Facts: access.RepoFacts{Private: true, Owner: access.OwnerOrg,
		ID: "r1", Creator: "u9", Policy: access.PolicyFineGrainedOnly, Namespace: "Acme", Name: "Weights"}}
	c := access.Caller{Kind: access.KindUserToken, UserID: "u1", Username: "alice", TokenID: "t1", Role: access.TokenRead, Repo: e}
	got, deny := FromContext(Context(c, nil))
	if deny != nil || !reflect.DeepEqual(got.Repo, e) {
		t.Fatalf("got %+v, %v; want %+v", got.Repo, deny, e)
	}
	for _, k := range []string{KeyRepoType, KeyRepoNS, KeyRepoName, KeyRepoID, KeyRepoOwner, KeyRepoPrivate} {
		m := Context(c, nil)
		delete(m, k)
		if got, _ := FromContext(m); got.Repo != nil {
			t.Errorf("without %s: got %+v, want no reading", k, got.Repo)
		}
	}
	m := Context(c, nil)
	m[KeyRepoOwner] = "someone"
	if got, _ := FromContext(m); got.Repo != nil {
		t.Errorf("owner %q: got a reading", m[KeyRepoOwner])
	}
	if got, _ := FromContext(Context(c, apperr.E(apperr.NotExist, "no"))); got.Repo != nil {
		t.Error("a deferred denial carries the reading")
	}
}
