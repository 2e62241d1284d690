package identity

import (
	"context"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// WhoamiInfo is what whoami-v2 shows of the caller.
type WhoamiInfo struct {
	User          User
	PrimaryEmail  string
	EmailVerified bool
	Token         *Token // the token used, if any
}

// Whoami gathers the caller's account, primary email and token.
func (s *Service) Whoami(ctx context.Context, c access.Caller) (WhoamiInfo, error) {
	if c.UserID == "" {
		return WhoamiInfo{}, ErrBadCredential
	}
	u, err := s.Store.UserByID(ctx, c.UserID)
	if err != nil {
		return WhoamiInfo{}, fmt.Errorf("read user: %w", err)
	}
	out := WhoamiInfo{User: u}
	emails, err := s.Store.EmailsOfUser(ctx, c.UserID)
	if err != nil {
		return WhoamiInfo{}, fmt.Errorf("list emails: %w", err)
	}
	for _, e := range emails {
		if e.Primary {
			out.PrimaryEmail, out.EmailVerified = e.Address, e.Verified
		}
	}
	if c.Kind == access.KindUserToken {
		t, err := s.Store.TokenByID(ctx, c.UserID, c.TokenID)
		if err != nil {
			return WhoamiInfo{}, ErrBadCredential
		}
		out.Token = &t
	}
	return out, nil
}

// Emails lists the caller's emails.
func (s *Service) Emails(ctx context.Context, c access.Caller) ([]Email, error) {
	if c.UserID == "" {
		return nil, apperr.E(apperr.Unauthenticated, "Log in to list your emails")
	}
	return s.Store.EmailsOfUser(ctx, c.UserID)
}
