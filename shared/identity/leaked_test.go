package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/token"
)

// TestRevokeLeakedEveryKind: a report revokes every kind of credential we
// issue (user tokens, sessions, org tokens), answers the same for unknown
// ones, and refuses a list over the cap instead of silently truncating it.
func TestRevokeLeakedEveryKind(t *testing.T) {
	svc, store, box := newService(t)
	ctx := context.Background()
	c := signupAndLogin(t, svc, box, "alice")
	session, _, _, err := svc.Login(ctx, "alice", "correct horse battery", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci", Role: "write"})
	if err != nil {
		t.Fatal(err)
	}
	orgs := orgddb.Store{Table: store.Table}
	orgSvc := &org.Service{Store: orgs, Users: store, Audit: store, TokenOwners: orgs}
	svc.OrgTokens = orgSvc
	if _, err := orgSvc.Create(ctx, c, org.CreateInput{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	orgTok, _, err := orgSvc.RefreshToken(ctx, c, "acme")
	if err != nil {
		t.Fatal(err)
	}
	unknown, _ := token.Generate(token.KindSession)

	creds := []string{tok.Reveal(), session.Reveal(), orgTok.Reveal(), unknown.Reveal(), "not a token"}
	if err := svc.RevokeLeaked(ctx, creds, "198.51.100.1"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	for name, secret := range map[string]string{"user token": tok.Reveal(), "session": session.Reveal()} {
		if _, err := svc.Authenticate(ctx, secret); !errors.Is(err, identity.ErrBadCredential) {
			t.Errorf("%s after a leak report: got %v, want it revoked", name, err)
		}
	}
	if _, found, err := orgs.OrgByTokenHash(ctx, token.Hash(orgTok.Reveal())); err != nil || found {
		t.Errorf("org token after a leak report: found=%v %v, want it revoked", found, err)
	}

	over := make([]string, identity.RevokeMaxCredentials+1)
	for i := range over {
		over[i] = tok.Reveal()
	}
	err = svc.RevokeLeaked(ctx, over, "198.51.100.1")
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err), "At most 100") {
		t.Fatalf("101 credentials: got %v, want a 400 naming the cap", err)
	}
}
