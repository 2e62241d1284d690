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
