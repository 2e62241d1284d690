package orgddb

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// TestLastAdminRuleIsInTheTransaction demotes two admins concurrently with
// no acting-admin check: only the admin counter's condition stands between
// the organization and having no admin.
func TestLastAdminRuleIsInTheTransaction(t *testing.T) {
	s := Store{ddbtest.NewTable(t)}
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range 5 {
		o := org.Org{ID: "o" + string(rune('0'+i)), Name: "race" + string(rune('a'+i)), CreatedAt: now}
		if err := s.CreateOrg(ctx, o, org.Member{User: "alice", UserID: "u1", Role: access.RoleAdmin, JoinedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutMember(ctx, o, org.Member{User: "bob", UserID: "u2", Role: access.RoleAdmin, JoinedAt: now}, "", ""); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, user := range []string{"alice", "bob"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[j] = s.PutMember(ctx, o, org.Member{User: user, Role: access.RoleWrite}, access.RoleAdmin, "")
			}()
		}
		wg.Wait()
		ok, last := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, org.ErrLastAdmin):
				last++
			default:
				t.Fatalf("round %d: unexpected error %v", i, err)
			}
		}
		if ok != 1 || last != 1 {
			t.Fatalf("round %d: got %v, want one success and one ErrLastAdmin", i, errs)
		}
		members, err := s.Members(ctx, o.Name)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, m := range members {
			if m.Role == access.RoleAdmin {
				admins++
				if err := s.RemoveMember(ctx, o, m.User, access.RoleAdmin, ""); !errors.Is(err, org.ErrLastAdmin) {
					t.Errorf("round %d: removing the last admin: got %v, want ErrLastAdmin", i, err)
				}
			}
		}
		if admins != 1 {
			t.Fatalf("round %d: %d admins", i, admins)
		}
	}
}

func TestMemberChangeConditions(t *testing.T) {
	s := Store{ddbtest.NewTable(t)}
	ctx := context.Background()
	now := time.Now().UTC()
	o := org.Org{ID: "o1", Name: "Acme", CreatedAt: now}
	if err := s.CreateOrg(ctx, o, org.Member{User: "alice", UserID: "u1", Role: access.RoleAdmin, JoinedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOrg(ctx, org.Org{ID: "o2", Name: "acme"}, org.Member{User: "bob", Role: access.RoleAdmin}); !errors.Is(err, store.ErrExists) {
		t.Errorf("second org with the name in other case: got %v, want ErrExists", err)
	}
	bob := org.Member{User: "bob", UserID: "u2", Role: access.RoleRead, JoinedAt: now}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"add bob", func() error { return s.PutMember(ctx, o, bob, "", "alice") }, nil},
		{"add bob again", func() error { return s.PutMember(ctx, o, bob, "", "alice") }, store.ErrConflict},
		{"stale previous role", func() error {
			return s.PutMember(ctx, o, org.Member{User: "bob", Role: access.RoleAdmin}, access.RoleWrite, "alice")
		}, store.ErrConflict},
		{"acting user not admin", func() error {
			return s.PutMember(ctx, o, org.Member{User: "alice", Role: access.RoleRead}, access.RoleAdmin, "bob")
		}, store.ErrConflict},
		{"promote bob", func() error {
			return s.PutMember(ctx, o, org.Member{User: "bob", Role: access.RoleAdmin}, access.RoleRead, "alice")
		}, nil},
		{"alice leaves", func() error { return s.RemoveMember(ctx, o, "alice", access.RoleAdmin, "") }, nil},
		{"bob leaves", func() error { return s.RemoveMember(ctx, o, "bob", access.RoleAdmin, "") }, org.ErrLastAdmin},
	}
	for _, tt := range tests {
		if err := tt.run(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Fatalf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	f := s
	for _, c := range []struct {
		org, user string
		want      access.OrgRole
	}{{"acme", "BOB", access.RoleAdmin}, {"Acme", "alice", ""}, {"nowhere", "bob", ""}} {
		if got, err := f.OrgRole(ctx, c.org, c.user); err != nil || got != c.want {
			t.Errorf("OrgRole(%s, %s) = %q, %v, want %q", c.org, c.user, got, err, c.want)
		}
	}
}
