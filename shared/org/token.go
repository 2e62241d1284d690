package org

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/token"
)

// RefreshToken issues a new API token for the organization, replacing (and
// at once invalidating) any previous one. It needs org.tokens: a logged-in
// session of an admin. The secret is returned once and never stored.
func (s *Service) RefreshToken(ctx context.Context, c access.Caller, name string) (token.Secret, TokenInfo, error) {
	o, _, err := s.authorize(ctx, c, access.OrgTokens, name)
	if err != nil {
		return token.Secret{}, TokenInfo{}, err
	}
	secret, err := token.Generate(token.KindOrg)
	if err != nil {
		return token.Secret{}, TokenInfo{}, fmt.Errorf("generate org token: %w", err)
	}
	t := TokenInfo{Hash: secret.Hash(), Hint: secret.Hint(), CreatedAt: s.now()}
	if err := s.Store.SetToken(ctx, o, o.Token.Hash, t); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return token.Secret{}, TokenInfo{}, apperr.E(apperr.Exist, "The organization's token was changed by another request; try again")
		}
		return token.Secret{}, TokenInfo{}, fmt.Errorf("store org token: %w", err)
	}
	s.audit(ctx, c, o.Name, EventTokenRefreshed, map[string]string{"hint": t.Hint})
	return secret, t, nil
}

// Token returns the API token's metadata (org.read); NotExist when the
// organization has none.
func (s *Service) Token(ctx context.Context, c access.Caller, name string) (TokenInfo, error) {
	o, _, err := s.authorize(ctx, c, access.OrgRead, name)
	if err != nil {
		return TokenInfo{}, err
	}
	if o.Token.Hash == "" {
		return TokenInfo{}, apperr.E(apperr.NotExist, "This organization has no API token")
	}
	return TokenInfo{Hint: o.Token.Hint, CreatedAt: o.Token.CreatedAt}, nil
}

// RevokeToken deletes the organization's API token (org.tokens).
func (s *Service) RevokeToken(ctx context.Context, c access.Caller, name string) error {
	o, _, err := s.authorize(ctx, c, access.OrgTokens, name)
	if err != nil {
		return err
	}
	if o.Token.Hash == "" {
		return apperr.E(apperr.NotExist, "This organization has no API token")
	}
	if err := s.Store.SetToken(ctx, o, o.Token.Hash, TokenInfo{}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return apperr.E(apperr.Exist, "The organization's token was changed by another request; try again")
		}
		return fmt.Errorf("revoke org token: %w", err)
	}
	s.audit(ctx, c, o.Name, EventTokenRevoked, map[string]string{"hint": o.Token.Hint})
	return nil
}
