package identity_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/mail"
)

func newService(t *testing.T) (*identity.Service, identityddb.Store, mail.Outbox) {
	return newServiceB(t)
}

func newServiceB(t testing.TB) (*identity.Service, identityddb.Store, mail.Outbox) {
	t.Helper()
	store := identityddb.Store{Table: ddbtest.NewTable(t)}
	box := mail.Outbox{Dir: t.TempDir()}
	return &identity.Service{Store: store, Mailer: box, CodePepper: []byte("pepper")}, store, box
}

var codeRE = regexp.MustCompile(`code is (\d{8})`)

func lastCode(t testing.TB, box mail.Outbox, to string) string {
	t.Helper()
	msgs, err := box.Read(to)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no mail to %s: %v", to, err)
	}
	m := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)
	if m == nil {
		t.Fatalf("no code in mail %q", msgs[len(msgs)-1].Body)
	}
	return m[1]
}

func signupAndLogin(t *testing.T, svc *identity.Service, box mail.Outbox, name string) access.Caller {
	return signupAndLoginB(t, svc, box, name)
}

func signupAndLoginB(t testing.TB, svc *identity.Service, box mail.Outbox, name string) access.Caller {
	t.Helper()
	ctx := context.Background()
	email := name + "@example.com"
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: name, Email: email, Password: "correct horse battery"}, "127.0.0.1"); err != nil {
		t.Fatalf("signup: %v", err)
	}
	if err := svc.VerifyEmail(ctx, email, lastCode(t, box, email), "127.0.0.1"); err != nil {
		t.Fatalf("verify: %v", err)
	}
	secret, _, u, err := svc.Login(ctx, name, "correct horse battery", "127.0.0.1")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	c, err := svc.Authenticate(ctx, secret.Reveal())
	if err != nil || c.UserID != u.ID || c.Kind != access.KindSession {
		t.Fatalf("authenticate session: got %+v, %v", c, err)
	}
	return c
}

func TestTokenLifecycle(t *testing.T) {
	svc, store, box := newService(t)
	ctx := context.Background()
	c := signupAndLogin(t, svc, box, "alice")

	tok, secret, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci", Role: "write"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Authenticate(ctx, secret.Reveal())
	if err != nil || got.TokenID != tok.ID || got.Role != access.TokenWrite {
		t.Fatalf("authenticate token: got %+v, %v", got, err)
	}
	// A token cannot manage tokens.
	if _, _, err := svc.CreateToken(ctx, got, identity.CreateTokenInput{Name: "x", Role: "read"}); apperr.KindOf(err) != apperr.Permission {
		t.Fatalf("token minting a token: got %v, want permission error", err)
	}
	_, newSecret, err := svc.RefreshToken(ctx, c, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, secret.Reveal()); !errors.Is(err, identity.ErrBadCredential) {
		t.Fatalf("old secret after refresh: got %v, want bad credential", err)
	}
	if _, err := svc.Authenticate(ctx, newSecret.Reveal()); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	if err := store.TouchToken(ctx, c.UserID, tok.ID, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListTokens(ctx, c)
	if err != nil || len(list) != 1 || list[0].LastUsedAt.IsZero() || list[0].ExpiresAt.IsZero() == false {
		t.Fatalf("list: got %+v, %v", list, err)
	}
	if err := svc.DeleteToken(ctx, c, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, newSecret.Reveal()); !errors.Is(err, identity.ErrBadCredential) {
		t.Fatalf("deleted token: got %v", err)
	}
	// Another user's token id is just "not found".
	other := signupAndLogin(t, svc, box, "mallory")
	tok2, _, _ := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "mine", Role: "read"})
	if err := svc.DeleteToken(ctx, other, tok2.ID); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("deleting another user's token: got %v, want not found", err)
	}
}

func TestConcurrentRefreshLeavesOneSecret(t *testing.T) {
	svc, store, box := newService(t)
	ctx := context.Background()
	c := signupAndLogin(t, svc, box, "bob")
	tok, _, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci", Role: "read"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	secrets := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, s, err := svc.RefreshToken(ctx, c, tok.ID); err == nil {
				secrets <- s.Reveal()
			} else if apperr.KindOf(err) != apperr.Exist {
				t.Errorf("refresh: unexpected error %v", err)
			}
		}()
	}
	wg.Wait()
	close(secrets)
	working := 0
	var issued []string
	for s := range secrets {
		issued = append(issued, s)
		if _, err := svc.Authenticate(ctx, s); err == nil {
			working++
		}
	}
	if len(issued) == 0 || working != 1 {
		t.Fatalf("got %d issued secrets of which %d work, want at least one issued and exactly one working", len(issued), working)
	}
	// No orphan lookup items: exactly one TOKEN# item points at this token.
	meta, err := store.TokenByID(ctx, c.UserID, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := countLookupItems(t, store, tok.ID)
	if n != 1 {
		t.Fatalf("got %d lookup items for the token, want 1", n)
	}
	if _, err := store.TokenByHash(ctx, meta.Hash); err != nil {
		t.Fatalf("listing item's hash has no lookup item: %v", err)
	}
}

func TestConcurrentSignupsOneAccount(t *testing.T) {
	svc, store, _ := newService(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := svc.Signup(ctx, identity.SignupInput{Username: "carol", Email: fmt.Sprintf("carol%d@example.com", i), Password: "long enough pw"}, "127.0.0.1")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case apperr.KindOf(err) == apperr.Exist:
				conflicts++
			default:
				t.Errorf("signup: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || conflicts != 19 {
		t.Fatalf("got %d accounts and %d conflicts, want 1 and 19", ok, conflicts)
	}
	if _, err := store.UserByName(ctx, "CAROL"); err != nil {
		t.Fatalf("the one account is not readable: %v", err)
	}
}

func TestLoginThrottleAndNoEnumeration(t *testing.T) {
	svc, _, box := newService(t)
	ctx := context.Background()
	signupAndLogin(t, svc, box, "dave")
	_, _, _, errKnown := svc.Login(ctx, "dave", "wrong password!", "10.0.0.1")
	_, _, _, errUnknown := svc.Login(ctx, "nobody-here", "wrong password!", "10.0.0.1")
	if apperr.Public(errKnown) != apperr.Public(errUnknown) || apperr.KindOf(errKnown) != apperr.Unauthenticated {
		t.Fatalf("known and unknown users answer differently: %q vs %q", apperr.Public(errKnown), apperr.Public(errUnknown))
	}
}

func TestEmailCodeSingleUseAndAttempts(t *testing.T) {
	svc, store, box := newService(t)
	ctx := context.Background()
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: "erin", Email: "erin@example.com", Password: "long enough pw"}, ""); err != nil {
		t.Fatal(err)
	}
	code := lastCode(t, box, "erin@example.com")
	if err := svc.VerifyEmail(ctx, "erin@example.com", "00000000", ""); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("wrong code: got %v", err)
	}
	if err := svc.VerifyEmail(ctx, "erin@example.com", code, ""); err != nil {
		t.Fatalf("right code: %v", err)
	}
	if err := svc.VerifyEmail(ctx, "erin@example.com", code, ""); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("reused code: got %v, want refused", err)
	}
	e, err := store.EmailByAddress(ctx, "erin@example.com")
	if err != nil || !e.Verified {
		t.Fatalf("email: got %+v, %v", e, err)
	}
}

func countLookupItems(t *testing.T, store identityddb.Store, tokenID string) int {
	t.Helper()
	n, err := store.CountTokenLookups(context.Background(), tokenID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
