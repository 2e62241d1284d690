package identityddb

import (
	"reflect"
	"testing"

	"github.com/hubsec/trustlayer/internal/access"
)

func TestLookupGrantRoundTrip(t *testing.T) {
	g := &access.Grant{
		Global:            []access.Permission{access.PermInference},
		CanReadGatedRepos: true,
		Pending:           []string{"acme", "zeta"},
		Scoped: []access.Scope{
			{Type: access.EntityUser, Name: "alice", Permissions: []access.Permission{access.PermRepoContentRead}},
			{Type: access.EntityOrg, Name: "acme", Permissions: []access.Permission{access.PermRepoWrite, access.PermOrgRead, access.PermOrgWrite}},
			{Type: access.EntityDataset, ID: "0a1b2c", Permissions: access.AllPermissions()},
		},
	}
	got, err := decodeLookupGrant(encodeLookupGrant(g))
	if err != nil {
		t.Fatal(err)
	}
	// The lookup form keeps what a decision needs: repository scopes
	// drop their name, user and org scopes their id.
	if !reflect.DeepEqual(got, g) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, g)
	}
	if got, err := decodeLookupGrant(""); got != nil || err != nil {
		t.Errorf("empty: got %v, %v", got, err)
	}
}

func TestLookupGrantRefusesDamage(t *testing.T) {
	for _, s := range []string{"2|g0|r0|w", "1|g0|r0", "1|g40|r0|w", "1|g0|r0|w|x1:id", "1|g0|r0|w|m1", "1|g0|r0|w|m:id", "1|gz|r0|w"} {
		if g, err := decodeLookupGrant(s); err == nil {
			t.Errorf("%q: got %+v, want an error", s, g)
		}
	}
}

// FuzzDecodeLookupGrant: a damaged item never panics, and whatever
// decodes encodes back to something that decodes the same.
func FuzzDecodeLookupGrant(f *testing.F) {
	f.Add("1|g8|r1|wacme|u1:alice|o32:acme|m3:0a1b")
	f.Add("1|g0|r0|w")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := decodeLookupGrant(s)
		if err != nil || g == nil {
			return
		}
		again, err := decodeLookupGrant(encodeLookupGrant(g))
		if err != nil {
			t.Fatalf("re-decode of %q: %v", s, err)
		}
		if len(again.Scoped) != len(g.Scoped) {
			t.Fatalf("re-decode of %q: %d scopes, want %d", s, len(again.Scoped), len(g.Scoped))
		}
	})
}
