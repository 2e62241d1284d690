package identity_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// TestDeleteRacingRefreshes runs one delete against four concurrent
// refreshes of the same token, ten times. The delete must win or answer a
// conflict; it must never answer "not found" for a token that lives, and
// once it answered success no refreshed secret may still authenticate.
func TestDeleteRacingRefreshes(t *testing.T) {
	svc, store, box := newService(t)
	ctx := context.Background()
	c := signupAndLogin(t, svc, box, "carol")
	for round := 0; round < 10; round++ {
		tok, _, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: fmt.Sprintf("race%d", round), Role: "read"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		secrets := make(chan string, 4)
		var delErr error
		wg.Add(5)
		go func() {
			defer wg.Done()
			<-start
			delErr = svc.DeleteToken(ctx, c, tok.ID)
		}()
		for i := 0; i < 4; i++ {
			go func() {
				defer wg.Done()
				<-start
				_, s, err := svc.RefreshToken(ctx, c, tok.ID)
				switch k := apperr.KindOf(err); {
				case err == nil:
					secrets <- s.Reveal()
				case k == apperr.Exist || k == apperr.NotExist:
					// Lost to another refresh, or to the delete.
				default:
					t.Errorf("round %d: refresh: unexpected error %v", round, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(secrets)

		working := 0
		for s := range secrets {
			if _, err := svc.Authenticate(ctx, s); err == nil {
				working++
			}
		}
		lookups := countLookupItems(t, store, tok.ID)
		switch k := apperr.KindOf(delErr); {
		case delErr == nil:
			if working != 0 || lookups != 0 {
				t.Errorf("round %d: delete succeeded but %d refreshed secrets work and %d lookup items remain", round, working, lookups)
			}
		case k == apperr.Exist:
			// A conflict: the token may live on, with exactly one lookup item.
			if lookups != 1 {
				t.Errorf("round %d: delete conflicted; got %d lookup items, want 1", round, lookups)
			}
		default:
			t.Errorf("round %d: delete answered %v (kind %v) for a live token; want success or a conflict (%d secrets work)", round, delErr, k, working)
		}
		if delErr != nil {
			if err := svc.DeleteToken(ctx, c, tok.ID); err != nil {
				t.Fatalf("round %d: clean-up delete: %v", round, err)
			}
		}
	}
}

// TestTokenChangedByAnotherProcess uses two services on one table, as two
// function instances are: what one remembers about a token may be stale,
// and the conditional write must still act on the token as it is.
func TestTokenChangedByAnotherProcess(t *testing.T) {
	a, store, box := newService(t)
	b := &identity.Service{Store: store, Mailer: box, CodePepper: []byte("pepper")}
	ctx := context.Background()
	c := signupAndLogin(t, a, box, "dave")
	tok, _, err := a.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci", Role: "read"})
	if err != nil {
		t.Fatal(err)
	}
	_, bSecret, err := b.RefreshToken(ctx, c, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	// a still remembers the hash from creation.
	_, aSecret, err := a.RefreshToken(ctx, c, tok.ID)
	if err != nil {
		t.Fatalf("refresh with stale knowledge: got %v, want success", err)
	}
	if _, err := a.Authenticate(ctx, bSecret.Reveal()); err == nil {
		t.Fatal("secret of the earlier refresh still works")
	}
	if _, err := b.Authenticate(ctx, aSecret.Reveal()); err != nil {
		t.Fatalf("secret of the later refresh: %v", err)
	}
	// b remembers the hash of its own refresh, now stale.
	if err := b.DeleteToken(ctx, c, tok.ID); err != nil {
		t.Fatalf("delete with stale knowledge: got %v, want success", err)
	}
	if _, err := a.Authenticate(ctx, aSecret.Reveal()); err == nil {
		t.Fatal("deleted token still works")
	}
	if n := countLookupItems(t, store, tok.ID); n != 0 {
		t.Fatalf("got %d lookup items after delete, want 0", n)
	}
	// a remembers the token, which is gone.
	if err := a.DeleteToken(ctx, c, tok.ID); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("delete of a deleted token: got %v, want not found", err)
	}
	tok2, _, err := a.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci2", Role: "read"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteToken(ctx, c, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RefreshToken(ctx, c, tok2.ID); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("refresh of a token deleted elsewhere: got %v, want not found", err)
	}
	if n := countLookupItems(t, store, tok2.ID); n != 0 {
		t.Fatalf("refresh of a deleted token left %d lookup items, want 0", n)
	}
	// Another user never reaches a token a service remembers.
	m := signupAndLogin(t, a, box, "mallory")
	tok3, _, err := a.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci3", Role: "read"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RefreshToken(ctx, m, tok3.ID); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("refresh of another user's token: got %v, want not found", err)
	}
	if err := a.DeleteToken(ctx, m, tok3.ID); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("delete of another user's token: got %v, want not found", err)
	}
}
