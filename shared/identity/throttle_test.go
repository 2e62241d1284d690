package identity_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// fixedClock keeps a test inside one rate window.
func fixedClock(svc *identity.Service) {
	at := time.Now().UTC().Truncate(identity.LoginFailWindow).Add(time.Second)
	svc.Now = func() time.Time { return at }
}

// An attacker's failures from one address throttle that address, whether
// it names the account by username or by email, and the owner still gets
// in from another address.
func TestLoginOwnerGetsInFromFreshAddress(t *testing.T) {
	svc, _, box := newService(t)
	fixedClock(svc)
	ctx := context.Background()
	signupAndLogin(t, svc, box, "fay")
	const attacker = "203.0.113.9"
	for i := 0; i < identity.LoginFailPerAddress; i++ {
		login := "fay"
		if i%2 == 1 {
			login = "FAY@example.com"
		}
		if _, _, _, err := svc.Login(ctx, login, "wrong password!", attacker); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Fatalf("guess %d: got %v, want invalid password", i, err)
		}
	}
	for _, login := range []string{"fay", "fay@example.com"} {
		if _, _, _, err := svc.Login(ctx, login, "correct horse battery", attacker); apperr.KindOf(err) != apperr.RateLimited {
			t.Fatalf("attacker's address after %d failures, as %s: got %v, want rate limited", identity.LoginFailPerAddress, login, err)
		}
	}
	if _, _, u, err := svc.Login(ctx, "fay", "correct horse battery", "198.51.100.7"); err != nil || u.Name != "fay" {
		t.Fatalf("owner from a fresh address: got %q, %v, want a session", u.Name, err)
	}
}

// Concurrent guesses are counted before they are evaluated: of many at
// once from one address, at most LoginFailPerAddress check the password.
func TestLoginConcurrentGuessesCountedAtomically(t *testing.T) {
	svc, _, box := newService(t)
	fixedClock(svc)
	ctx := context.Background()
	signupAndLogin(t, svc, box, "gus")
	const n = 3 * identity.LoginFailPerAddress
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, _, _, errs[i] = svc.Login(ctx, "gus", "wrong password!", "203.0.113.10")
		}()
	}
	close(start)
	wg.Wait()
	evaluated, limited := 0, 0
	for _, err := range errs {
		switch apperr.KindOf(err) {
		case apperr.Unauthenticated:
			evaluated++
		case apperr.RateLimited:
			limited++
		default:
			t.Fatalf("unexpected answer: %v", err)
		}
	}
	if evaluated != identity.LoginFailPerAddress || limited != n-identity.LoginFailPerAddress {
		t.Fatalf("%d concurrent guesses: %d evaluated, %d limited; want %d evaluated", n, evaluated, limited, identity.LoginFailPerAddress)
	}
}

// Past the per-account ceiling (failures from many addresses) the account
// is slowed to one attempt per LoginSlowInterval, not locked.
func TestLoginAccountCeilingSlowsNotLocks(t *testing.T) {
	svc, _, box := newService(t)
	fixedClock(svc)
	ctx := context.Background()
	signupAndLogin(t, svc, box, "hal")
	for i := 0; i < identity.LoginFailPerAccount; i++ {
		ip := fmt.Sprintf("10.9.%d.1", i/identity.LoginFailPerAddress)
		if _, _, _, err := svc.Login(ctx, "hal", "wrong password!", ip); apperr.KindOf(err) != apperr.Unauthenticated {
			t.Fatalf("guess %d from %s: got %v, want invalid password", i, ip, err)
		}
	}
	if _, _, _, err := svc.Login(ctx, "hal", "wrong password!", "198.51.100.8"); apperr.KindOf(err) != apperr.Unauthenticated {
		t.Fatalf("first attempt past the ceiling: got %v, want it evaluated", err)
	}
	if _, _, _, err := svc.Login(ctx, "hal", "correct horse battery", "198.51.100.9"); apperr.KindOf(err) != apperr.RateLimited {
		t.Fatalf("second attempt in the same interval: got %v, want rate limited", err)
	}
	at := svc.Now().Add(identity.LoginSlowInterval)
	svc.Now = func() time.Time { return at }
	if _, _, _, err := svc.Login(ctx, "hal", "correct horse battery", "198.51.100.9"); err != nil {
		t.Fatalf("one interval later: got %v, want a session", err)
	}
}
