package authz_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
)

// slowStore is the real token store whose lastUsedAt write is issued a
// little late, as on a busy network: a write left running when Decide
// returns shows up as a missing lastUsedAt.
type slowStore struct {
	identityddb.Store
	delay time.Duration
}

func (s slowStore) TouchToken(ctx context.Context, userID, id string, now time.Time, interval time.Duration) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.TouchToken(ctx, userID, id, now, interval)
}

// TestTouchDoneWhenDecideReturns: the token's lastUsedAt is in DynamoDB
// when Decide returns, not in a goroutine a frozen sandbox would lose.
func TestTouchDoneWhenDecideReturns(t *testing.T) {
	f := newStoreFixture(t)
	store := identityddb.Store{Table: f.tbl}
	f.a.Touch = slowStore{Store: store, delay: 50 * time.Millisecond}
	req := authz.Request{Method: "GET", Path: "/api/whoami-v2", Header: http.Header{"Authorization": {"Bearer " + f.secret}}}
	out := f.a.Decide(context.Background(), req)
	if !out.Allow {
		t.Fatalf("denied: %v", out.Deny)
	}
	tok, err := store.TokenByID(context.Background(), out.Caller.UserID, out.Caller.TokenID)
	if err != nil {
		t.Fatal(err)
	}
	if tok.LastUsedAt.IsZero() {
		t.Fatal("lastUsedAt is not set when Decide returns")
	}
}
