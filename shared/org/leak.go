package org

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/token"
)

// RevokeFoundToken revokes the org API token cred, found in pushed content
// (where), and audits it on the organization. It reports whether the
// token was live; an unknown or already replaced one is not.
func (s *Service) RevokeFoundToken(ctx context.Context, owners TokenOwners, cred, where, pusher string) (bool, error) {
	if k, err := token.Parse(cred); err != nil || k != token.KindOrg {
		return false, nil
	}
	hash := token.Hash(cred)
	name, ok, err := owners.OrgByTokenHash(ctx, hash)
	if err != nil || !ok {
		return false, err
	}
	o, err := s.Store.OrgByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read org %s: %w", name, err)
	}
	if !token.Equal(o.Token.Hash, hash) {
		return false, nil
	}
	if err := s.Store.SetToken(ctx, o, o.Token.Hash, TokenInfo{}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return false, nil // replaced or revoked meanwhile
		}
		return false, fmt.Errorf("revoke org token: %w", err)
	}
	s.audit(ctx, access.Caller{Username: pusher}, o.Name, EventTokenLeaked, map[string]string{"hint": o.Token.Hint, "foundIn": where})
	return true, nil
}
