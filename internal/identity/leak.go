package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/internal/platform/store"
	"github.com/hubsec/trustlayer/internal/token"
)

// Leak says where a credential was found, for the audit event and the
// owner's mail: "model alice/bert, train.py line 12".
type Leak struct {
	Where  string
	Pusher string
}

// RevokeFound revokes a user token or session credential found in pushed
// content, audits it on its owner and mails the owner. It reports whether
// the credential was live (it is dead afterwards); an unknown, expired or
// already revoked one is not live, and nothing happens. Org tokens are the
// org package's.
func (s *Service) RevokeFound(ctx context.Context, cred string, leak Leak) (bool, error) {
	kind, err := token.Parse(cred)
	if err != nil {
		return false, nil
	}
	details := map[string]string{"foundIn": leak.Where, "pushedBy": leak.Pusher}
	switch kind {
	case token.KindUser:
		t, err := s.Store.TokenByHash(ctx, token.Hash(cred))
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("look up token: %w", err)
		}
		if t.Expired(s.now()) {
			return false, nil
		}
		details["tokenId"], details["name"] = t.ID, t.Name
		ev := s.event("user:"+t.UserID, EventTokenLeaked, leak.Pusher, "", details)
		if _, err := s.Store.DeleteToken(ctx, t, ev); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return false, nil // revoked meanwhile
			}
			return false, fmt.Errorf("revoke token %s: %w", t.ID, err)
		}
		s.tokens.drop(t.UserID, t.ID)
		s.mailLeak(ctx, t.UserID, t.Username, fmt.Sprintf("Your access token %q (%s) was found in a push (%s) and has been revoked. "+
			"Remove it from the repository's history and create a new token in your settings if you still need one.", t.Name, t.Hint, leak.Where))
		return true, nil
	case token.KindSession:
		sess, err := s.Store.SessionByHash(ctx, token.Hash(cred))
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("look up session: %w", err)
		}
		if !s.now().Before(sess.ExpiresAt) {
			return false, nil
		}
		if err := s.Store.DeleteSession(ctx, sess.Hash); err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, fmt.Errorf("revoke session: %w", err)
		}
		s.audit(ctx, "user:"+sess.UserID, EventSessionLeaked, leak.Pusher, "", details)
		s.mailLeak(ctx, sess.UserID, sess.Username, fmt.Sprintf("A login session credential of yours was found in a push (%s) and has been "+
			"signed out. Remove it from the repository's history and log in again.", leak.Where))
		return true, nil
	}
	return false, nil
}

// mailLeak tells the user at their primary address.
func (s *Service) mailLeak(ctx context.Context, userID, username, what string) {
	emails, err := s.Store.EmailsOfUser(ctx, userID)
	if err != nil {
		return
	}
	for _, e := range emails {
		if !e.Primary {
			continue
		}
		body := fmt.Sprintf("Hello %s,\n\n%s\n", username, what)
		if err := s.Mailer.Send(ctx, e.Address, "A credential of yours was found in a push and revoked", body); err != nil && s.Log != nil {
			s.Log.ErrorContext(ctx, "leak notice not sent", "user", userID, "err", err)
		}
	}
}
