package identity_test

import (
	"context"
	"testing"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// TestAuditNeedsSession: the audit log (login addresses, token events) is
// a setting; an access token, even a write one, cannot read it.
func TestAuditNeedsSession(t *testing.T) {
	svc, _, box := newService(t)
	ctx := context.Background()
	c := signupAndLogin(t, svc, box, "alice")
	if _, _, err := svc.Audit(ctx, c, 10, ""); err != nil {
		t.Fatalf("session: %v", err)
	}
	_, secret, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci", Role: "write"})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := svc.Authenticate(ctx, secret.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Audit(ctx, tc, 10, ""); apperr.KindOf(err) != apperr.Permission {
		t.Fatalf("write token: got %v, want a 403", err)
	}
}
