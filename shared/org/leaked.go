package org

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// TokenOwners finds the organization holding an API token by the token's
// hash (orgddb.Store satisfies it).
type TokenOwners interface {
	OrgByTokenHash(ctx context.Context, hash string) (org string, found bool, err error)
}

// EventTokenLeaked is recorded when the organization's token is revoked
// because someone reported it as leaked.
const EventTokenLeaked = "org.token_revoked_leaked"

// RevokeLeakedToken revokes the organization API token with this hash, if
// one holds it, for POST /api/credentials/revoke: anyone who found the
// token may report it, so no caller is checked, and an unknown hash is not
// an error. It needs s.TokenOwners.
func (s *Service) RevokeLeakedToken(ctx context.Context, hash, sourceIP string) error {
	if s.TokenOwners == nil {
		return errors.New("org: RevokeLeakedToken needs TokenOwners")
	}
	name, found, err := s.TokenOwners.OrgByTokenHash(ctx, hash)
	if err != nil || !found {
		return err
	}
	o, err := s.Store.OrgByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.Token.Hash != hash {
		return nil // refreshed or revoked meanwhile
	}
	if err := s.Store.SetToken(ctx, o, hash, TokenInfo{}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return fmt.Errorf("revoke leaked org token: %w", err)
	}
	s.audit(ctx, access.Caller{SourceIP: sourceIP}, o.Name, EventTokenLeaked, map[string]string{"hint": o.Token.Hint})
	return nil
}
