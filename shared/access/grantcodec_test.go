package access

import (
	"reflect"
	"testing"
)

func TestGrantCodecRoundTrip(t *testing.T) {
	g := &Grant{
		Global:            []Permission{PermInference},
		CanReadGatedRepos: true,
		Pending:           []string{"acme", "zeta"},
		Approved:          []string{"beta"},
		Scoped: []Scope{
			{Type: EntityUser, Name: "alice", Permissions: []Permission{PermRepoContentRead}},
			{Type: EntityOrg, Name: "acme", Permissions: []Permission{PermRepoWrite, PermOrgRead, PermOrgWrite}},
			{Type: EntityDataset, ID: "0a1b2c", Permissions: AllPermissions()},
		},
	}
	got, err := DecodeGrant(EncodeGrant(g))
	if err != nil {
		t.Fatal(err)
	}
	// The lookup form keeps what a decision needs: repository scopes
	// drop their name, user and org scopes their id.
	if !reflect.DeepEqual(got, g) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, g)
	}
	if got, err := DecodeGrant(""); got != nil || err != nil {
		t.Errorf("empty: got %v, %v", got, err)
	}
}

// TestGrantCodecReadsVersion1: grants written before approvals were
// recorded decode with approvals from no organization.
func TestGrantCodecReadsVersion1(t *testing.T) {
	g, err := DecodeGrant("1|g8|r1|wacme|o32:acme|m3:0a1b")
	if err != nil || len(g.Pending) != 1 || g.Approved != nil || len(g.Scoped) != 2 || g.Scoped[1].ID != "0a1b" {
		t.Fatalf("version 1: got %+v, %v", g, err)
	}
}

func TestGrantCodecRefusesDamage(t *testing.T) {
	for _, s := range []string{"2|g0|r0|w", "2|g0|r0|w|m1:id", "3|g0|r0|w|a", "1|g0|r0", "1|g40|r0|w", "1|g0|r0|w|x1:id", "1|g0|r0|w|m1", "1|g0|r0|w|m:id", "1|gz|r0|w"} {
		if g, err := DecodeGrant(s); err == nil {
			t.Errorf("%q: got %+v, want an error", s, g)
		}
	}
}

// FuzzDecodeGrant: a damaged item never panics, and whatever
// decodes encodes back to something that decodes the same.
func FuzzDecodeGrant(f *testing.F) {
	f.Add("1|g8|r1|wacme|u1:alice|o32:acme|m3:0a1b")
	f.Add("1|g0|r0|w")
	f.Add("2|g8|r0|wacme|abeta,gamma|m3:0a1b")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := DecodeGrant(s)
		if err != nil || g == nil {
			return
		}
		again, err := DecodeGrant(EncodeGrant(g))
		if err != nil {
			t.Fatalf("re-decode of %q: %v", s, err)
		}
		if len(again.Scoped) != len(g.Scoped) {
			t.Fatalf("re-decode of %q: %d scopes, want %d", s, len(again.Scoped), len(g.Scoped))
		}
	})
}
