package identityddb_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestExpiringTokens: tokens with an expiry are found by the sweeper's
// query until removed; the notice is marked once.
func TestExpiringTokens(t *testing.T) {
	s := identityddb.Store{Table: ddbtest.NewTable(t)}
	ctx := context.Background()
	now := time.Now().UTC()
	mk := func(id string, exp time.Time) identity.Token {
		tk := identity.Token{ID: id, UserID: "u1", Username: "alice", Name: id, Role: access.TokenRead, Hash: "h-" + id, Hint: "hf_...", CreatedAt: now, ExpiresAt: exp}
		if err := s.CreateToken(ctx, tk, audit.Event{Subject: "user:u1", At: now, Type: "token.created"}); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	soon := mk("soon", now.Add(48*time.Hour))
	mk("later", now.Add(30*24*time.Hour))
	mk("never", time.Time{})
	list, err := s.TokensExpiringBefore(ctx, now.Add(7*24*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "soon" || list[0].UserID != "u1" || list[0].Hash != soon.Hash {
		t.Fatalf("expiring within a week: got %+v, want the token soon", list)
	}
	if err := s.MarkExpiryWarned(ctx, soon, now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkExpiryWarned(ctx, soon, now); err == nil {
		t.Fatal("second notice mark succeeded")
	}
	if err := s.RemoveExpiredToken(ctx, soon, audit.Event{Subject: "user:u1", At: now, Type: identity.EventTokenExpired}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.TokensExpiringBefore(ctx, now.Add(7*24*time.Hour), 100); len(list) != 0 {
		t.Fatalf("after removal: got %+v", list)
	}
}
