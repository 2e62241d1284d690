package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// ExpiryNotice is how long before a token expires its owner is mailed.
const ExpiryNotice = 7 * 24 * time.Hour

// ExpiryStore finds tokens by expiry (identityddb.Store).
type ExpiryStore interface {
	// TokensExpiringBefore lists tokens with an expiry before t (expired
	// ones included until removed), soonest first, at most limit.
	TokensExpiringBefore(ctx context.Context, t time.Time, limit int) ([]Token, error)
	// MarkExpiryWarned records the notice on condition that none was
	// recorded and the token is unchanged (store.ErrConflict otherwise);
	// ClearExpiryWarned undoes it when the mail could not be sent.
	MarkExpiryWarned(ctx context.Context, t Token, at time.Time) error
	ClearExpiryWarned(ctx context.Context, t Token) error
	// RemoveExpiredToken deletes an expired token's listing item with ev.
	// Its lookup item stays until DynamoDB's TTL removes it, so that a
	// use meanwhile is refused saying when it expired.
	RemoveExpiredToken(ctx context.Context, t Token, ev audit.Event) error
}

// ExpirySweep is what one run of SweepTokens did.
type ExpirySweep struct {
	Warned  int `json:"warned"`
	Removed int `json:"removed"`
}

// sweepBatch bounds the tokens one sweep handles; the next run goes on.
const sweepBatch = 500

// SweepTokens mails the owners of tokens expiring within a week (once per
// token) and removes expired tokens from their owners' lists. It runs on
// the sweeper's schedule; concurrent runs mail at most once per token.
func (s *Service) SweepTokens(ctx context.Context) (ExpirySweep, error) {
	var out ExpirySweep
	if s.Expiry == nil {
		return out, nil
	}
	now := s.now()
	list, err := s.Expiry.TokensExpiringBefore(ctx, now.Add(ExpiryNotice), sweepBatch)
	if err != nil {
		return out, fmt.Errorf("list expiring tokens: %w", err)
	}
	for _, t := range list {
		switch {
		case t.Expired(now):
			ev := s.event("user:"+t.UserID, EventTokenExpired, "", "", map[string]string{"tokenId": t.ID, "name": t.Name,
				"expiresAt": t.ExpiresAt.UTC().Format(time.RFC3339)})
			if err := s.Expiry.RemoveExpiredToken(ctx, t, ev); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				return out, fmt.Errorf("remove expired token %s: %w", t.ID, err)
			}
			s.tokens.drop(t.UserID, t.ID)
			out.Removed++
		case t.ExpiryWarnedAt.IsZero():
			sent, err := s.warnExpiry(ctx, t, now)
			if err != nil {
				return out, err
			}
			if sent {
				out.Warned++
			}
		}
	}
	return out, nil
}

// warnExpiry claims the notice, then mails it; a failed mail releases the
// claim so that the next run tries again.
func (s *Service) warnExpiry(ctx context.Context, t Token, now time.Time) (bool, error) {
	if err := s.Expiry.MarkExpiryWarned(ctx, t, now); err != nil {
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("mark expiry notice of %s: %w", t.ID, err)
	}
	emails, err := s.Store.EmailsOfUser(ctx, t.UserID)
	if err != nil {
		_ = s.Expiry.ClearExpiryWarned(ctx, t)
		return false, fmt.Errorf("emails of %s: %w", t.UserID, err)
	}
	for _, e := range emails {
		if !e.Primary {
			continue
		}
		body := fmt.Sprintf("Hello %s,\n\nYour access token %q (%s, role %s) expires on %s. "+
			"Create a new one in your settings before then if you still need it; the old one will be refused from that moment.\n",
			t.Username, t.Name, t.Hint, t.Role, t.ExpiresAt.UTC().Format(time.RFC1123))
		if err := s.Mailer.Send(ctx, e.Address, "An access token of yours expires in less than a week", body); err != nil {
			_ = s.Expiry.ClearExpiryWarned(ctx, t)
			return false, fmt.Errorf("mail expiry notice of %s: %w", t.ID, err)
		}
		return true, nil
	}
	return true, nil // no primary email: nothing to send, do not retry
}
