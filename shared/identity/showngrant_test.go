package identity

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
)

// pendingEntities knows where repositories are now and the organizations'
// token policies now.
type pendingEntities struct {
	repos    map[string]string // id -> "namespace/name"
	policies map[string]access.TokenPolicy
}

func (e pendingEntities) Entity(context.Context, access.Caller, access.EntityType, string) (Entity, error) {
	panic("not used")
}

func (e pendingEntities) RepoName(_ context.Context, id string) (string, bool, error) {
	n, ok := e.repos[id]
	return n, ok, nil
}

func (e pendingEntities) OrgTokenPolicy(_ context.Context, org string) (access.TokenPolicy, error) {
	return e.policies[strings.ToLower(org)], nil
}

// TestShownGrantPendingDecidedNow (invariant 9): the organizations a
// token is shown waiting for are those PendingIn names with the policies
// now, for every organization its scopes reach now, not only those
// recorded when it was made.
func TestShownGrantPendingDecidedNow(t *testing.T) {
	s := &Service{Entities: pendingEntities{
		repos:    map[string]string{"r1": "acme/bert", "r2": "alice/own", "r3": "open/x"},
		policies: map[string]access.TokenPolicy{"acme": access.PolicyRequireApproval, "gamma": access.PolicyRequireApproval, "open": access.PolicyAllowAll},
	}}
	repoScope := func(id string) access.Scope {
		return access.Scope{Type: access.EntityModel, ID: id, Name: "alice/old", Permissions: []access.Permission{access.PermRepoContentRead}}
	}
	orgScope := func(name string) access.Scope {
		return access.Scope{Type: access.EntityOrg, ID: name + "-id", Name: name, Permissions: []access.Permission{access.PermOrgRead}}
	}
	tests := []struct {
		name string
		g    access.Grant
		want []string
	}{
		{"own repository moved into an org requiring approval", access.Grant{Scoped: []access.Scope{repoScope("r1")}}, []string{"acme"}},
		{"the same, approved", access.Grant{Scoped: []access.Scope{repoScope("r1")}, Approved: []string{"acme"}}, nil},
		{"own repository", access.Grant{Scoped: []access.Scope{repoScope("r2")}}, nil},
		{"repository of an org allowing all", access.Grant{Scoped: []access.Scope{repoScope("r3")}}, nil},
		{"repository deleted", access.Grant{Scoped: []access.Scope{repoScope("gone")}}, nil},
		{"org scope, the org requires approval now", access.Grant{Scoped: []access.Scope{orgScope("Gamma")}}, []string{"Gamma"}},
		{"org scope, asked and denied, the org allows all now", access.Grant{Scoped: []access.Scope{orgScope("open")}, Pending: []string{"open"}}, []string{"open"}},
		{"asked once, counted once", access.Grant{Scoped: []access.Scope{repoScope("r1"), orgScope("acme")}, Pending: []string{"acme"}}, []string{"acme"}},
		{"user scope", access.Grant{Scoped: []access.Scope{{Type: access.EntityUser, ID: "u", Name: "alice", Permissions: []access.Permission{access.PermRepoWrite}}}}, nil},
	}
	for _, tt := range tests {
		got, err := s.ShownGrant(context.Background(), &tt.g)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Pending, tt.want) {
			t.Errorf("%s: pending %v, want %v", tt.name, got.Pending, tt.want)
		}
		if len(tt.g.Scoped) > 0 && tt.g.Scoped[0].ID == "r1" && got.Scoped[0].Name != "acme/bert" {
			t.Errorf("%s: shown name %q, want the current one", tt.name, got.Scoped[0].Name)
		}
	}
}
