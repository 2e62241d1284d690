package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/token"
)

// Leak says where a credential was found, for the audit event and the
// owner's mail: "model alice/bert, train.py line 12" and who pushed it, or,
// for a report through POST /api/credentials/revoke, only the reporter's
// address.
type Leak struct {
	Where    string // "" for a report
	Pusher   string
	SourceIP string
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
	switch kind {
	case token.KindUser:
		return s.revokeUserToken(ctx, cred, leak)
	case token.KindSession:
		return s.revokeSession(ctx, cred, leak)
	}
	return false, nil
}

// revokeUserToken deletes the live user token cred (with its audit event,
// in one transaction) and tells its owner; found reports whether it was
// live. Both ways a leak is learnt of (a report, a push) come here.
func (s *Service) revokeUserToken(ctx context.Context, cred string, leak Leak) (bool, error) {
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
	ev := s.event("user:"+t.UserID, EventTokenLeaked, leak.Pusher, leak.SourceIP, leak.details(map[string]string{"tokenId": t.ID, "name": t.Name}))
	if _, err := s.Store.DeleteToken(ctx, t, ev); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return false, nil // revoked or refreshed meanwhile: this secret is dead
		}
		return false, fmt.Errorf("revoke token %s: %w", t.ID, err)
	}
	s.tokens.drop(t.UserID, t.ID)
	if leak.Where == "" {
		s.mailLeak(ctx, t.UserID, t.Username, "An access token of yours was revoked", fmt.Sprintf("Your access token %q (%s) was reported as leaked and has been revoked. "+
			"Create a new one in your settings if you still need it.", t.Name, t.Hint))
	} else {
		s.mailLeak(ctx, t.UserID, t.Username, "A credential of yours was found in a push and revoked", fmt.Sprintf("Your access token %q (%s) was found in a push (%s) and has been revoked. "+
			"Remove it from the repository's history and create a new token in your settings if you still need one.", t.Name, t.Hint, leak.Where))
	}
	return true, nil
}

// revokeSession ends the live session whose secret is cred: a session
// secret in the wild is as good as the password.
func (s *Service) revokeSession(ctx context.Context, cred string, leak Leak) (bool, error) {
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
	s.audit(ctx, "user:"+sess.UserID, EventSessionLeaked, leak.Pusher, leak.SourceIP, leak.details(nil))
	if leak.Where != "" {
		s.mailLeak(ctx, sess.UserID, sess.Username, "A credential of yours was found in a push and revoked", fmt.Sprintf("A login session credential of yours was found in a push (%s) and has been "+
			"signed out. Remove it from the repository's history and log in again.", leak.Where))
	}
	return true, nil
}

// details adds where the credential was found to an audit event's details.
func (l Leak) details(d map[string]string) map[string]string {
	if l.Where == "" {
		return d
	}
	if d == nil {
		d = map[string]string{}
	}
	d["foundIn"], d["pushedBy"] = l.Where, l.Pusher
	return d
}

// mailLeak tells the user at their primary address.
func (s *Service) mailLeak(ctx context.Context, userID, username, subject, what string) {
	emails, err := s.Store.EmailsOfUser(ctx, userID)
	if err != nil {
		return
	}
	for _, e := range emails {
		if !e.Primary {
			continue
		}
		body := fmt.Sprintf("Hello %s,\n\n%s\n", username, what)
		if err := s.Mailer.Send(ctx, e.Address, subject, body); err != nil && s.Log != nil {
			s.Log.ErrorContext(ctx, "leak notice not sent", "user", userID, "err", err)
		}
	}
}
