package keyring

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// Service applies the signing-key rules over a Store.
type Service struct {
	Store  Store
	Emails Emails
	Audit  AuditLog
	Log    *slog.Logger
	Now    func() time.Time // time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// needSession refuses every caller but a logged-in session: a leaked access
// token must not be able to plant a signing key.
func needSession(c access.Caller) error {
	switch {
	case c.Kind == access.KindSession && c.UserID != "":
		return nil
	case c.Kind == access.KindAnonymous:
		return apperr.E(apperr.Unauthenticated, "Log in to manage signing keys")
	default:
		return apperr.E(apperr.Permission, "Signing keys can only be managed from a logged-in session, not with an access token")
	}
}

// validID reports whether id looks like one of ours; anything else is
// answered as not found without a storage call.
func validID(id string) bool {
	if len(id) != 24 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// event is an audit event of c's on c's own subject.
func (s *Service) event(c access.Caller, typ string, details map[string]string) audit.Event {
	return audit.Event{Subject: "user:" + c.UserID, At: s.now(), Type: typ, Actor: c.Username, SourceIP: c.SourceIP, Details: details}
}

func (s *Service) audit(ctx context.Context, c access.Caller, typ string, details map[string]string) {
	if s.Audit == nil {
		return
	}
	ev := s.event(c, typ, details)
	if err := s.Audit.AppendAudit(ctx, ev); err != nil && s.Log != nil {
		s.Log.ErrorContext(ctx, "audit write failed", "type", typ, "err", err)
	}
}

// taken turns a store's *TakenError into the uploader's 400.
func taken(c access.Caller, err error) error {
	var te *TakenError
	if !errors.As(err, &te) {
		return err
	}
	if te.UserID == c.UserID {
		return apperr.Wrap(apperr.Invalid, err, "This key is already added to your account")
	}
	return apperr.Wrap(apperr.Invalid, err, "This key is already registered to another account; a key can be on one account only")
}

// emailVerifiedFor reports whether addr is a verified email of userID.
func (s *Service) emailVerifiedFor(ctx context.Context, addr, userID string) (bool, error) {
	e, err := s.Emails.EmailByAddress(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up email: %w", err)
	}
	return e.UserID == userID && e.Verified, nil
}
