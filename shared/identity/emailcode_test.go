package identity_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/mail"
)

func mailsTo(t *testing.T, box mail.Outbox, to string) int {
	t.Helper()
	msgs, _ := box.Read(to)
	return len(msgs)
}

// Concurrent wrong guesses cannot pass the attempt limit: the count and
// its condition are one update.
func TestEmailCodeAttemptsCountedAtomically(t *testing.T) {
	svc, store, _ := newService(t)
	ctx := context.Background()
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: "ivy", Email: "ivy@example.com", Password: "long enough pw"}, ""); err != nil {
		t.Fatal(err)
	}
	const n = 4 * identity.EmailCodeAttempts
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_ = svc.VerifyEmail(ctx, "ivy@example.com", "00000000", "")
		}()
	}
	close(start)
	wg.Wait()
	c, err := store.EmailCode(ctx, "ivy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if c.Attempts != identity.EmailCodeAttempts {
		t.Fatalf("%d concurrent guesses: %d attempts counted, want exactly %d", n, c.Attempts, identity.EmailCodeAttempts)
	}
}

// A burned code is not the end: resend mails a new one that works, and
// the resend is throttled and says nothing about who holds an address.
func TestResendAfterBurnedCode(t *testing.T) {
	svc, _, box := newService(t)
	ctx := context.Background()
	const addr = "jay@example.com"
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: "jay", Email: addr, Password: "long enough pw"}, ""); err != nil {
		t.Fatal(err)
	}
	burned := lastCode(t, box, addr)
	for range identity.EmailCodeAttempts + 2 {
		_ = svc.VerifyEmail(ctx, addr, "00000000", "203.0.113.5")
	}
	if err := svc.VerifyEmail(ctx, addr, burned, ""); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("burned code: got %v, want refused", err)
	}
	if err := svc.ResendCode(ctx, addr, "198.51.100.1"); err != nil {
		t.Fatalf("resend: %v", err)
	}
	fresh := lastCode(t, box, addr)
	if err := svc.VerifyEmail(ctx, addr, fresh, ""); err != nil {
		t.Fatalf("new code: %v", err)
	}
	// Verified, or unknown: the same answer, and no mail.
	before := mailsTo(t, box, addr)
	if err := svc.ResendCode(ctx, addr, "198.51.100.1"); err != nil {
		t.Fatalf("resend to a verified address: got %v, want the same answer", err)
	}
	if err := svc.ResendCode(ctx, "nobody@example.com", "198.51.100.1"); err != nil {
		t.Fatalf("resend to an unknown address: got %v, want the same answer", err)
	}
	if got := mailsTo(t, box, addr); got != before {
		t.Fatalf("resend to a verified address mailed a code")
	}
	var last error
	for range identity.ResendPerAddress + 1 {
		last = svc.ResendCode(ctx, "kim@example.com", "198.51.100.2")
	}
	if apperr.KindOf(last) != apperr.RateLimited {
		t.Fatalf("resend %d times to one address: got %v, want rate limited", identity.ResendPerAddress+1, last)
	}
}

// An unverified claim lapses: after UnverifiedEmailLife another account
// may sign up with the address (before it, not).
func TestLapsedUnverifiedClaimIsReleased(t *testing.T) {
	svc, store, box := newService(t)
	ctx := context.Background()
	const addr = "squat@example.com"
	t0 := time.Now().UTC()
	svc.Now = func() time.Time { return t0 }
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: "squatter", Email: addr, Password: "long enough pw"}, ""); err != nil {
		t.Fatal(err)
	}
	svc.Now = func() time.Time { return t0.Add(identity.UnverifiedEmailLife - time.Hour) }
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: "owner1", Email: addr, Password: "long enough pw"}, ""); apperr.KindOf(err) != apperr.Exist {
		t.Fatalf("signup before the claim lapses: got %v, want taken", err)
	}
	svc.Now = func() time.Time { return t0.Add(identity.UnverifiedEmailLife + time.Minute) }
	before := mailsTo(t, box, addr)
	if err := svc.ResendCode(ctx, addr, ""); err != nil || mailsTo(t, box, addr) != before {
		t.Fatalf("resend for a lapsed claim: %v, want no mail", err)
	}
	u, _, err := svc.Signup(ctx, identity.SignupInput{Username: "owner2", Email: addr, Password: "long enough pw"}, "")
	if err != nil {
		t.Fatalf("signup with a lapsed unverified claim of another account: %v", err)
	}
	if err := svc.VerifyEmail(ctx, addr, lastCode(t, box, addr), ""); err != nil {
		t.Fatalf("verify: %v", err)
	}
	e, err := store.EmailByAddress(ctx, addr)
	if err != nil || e.UserID != u.ID || !e.Verified || !e.ExpiresAt.IsZero() {
		t.Fatalf("claim: got %+v, %v; want verified by %s, no expiry", e, err, u.ID)
	}
}
