package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/token"
)

// CreateTokenInput is a token creation request.
type CreateTokenInput struct {
	Name        string            `json:"name"`
	Role        string            `json:"role"`
	ExpiresAt   *time.Time        `json:"expiresAt,omitempty"`
	FineGrained *FineGrainedInput `json:"fineGrained,omitempty"`
}

func needSession(c access.Caller) error {
	switch c.Kind {
	case access.KindSession:
		return nil
	case access.KindAnonymous:
		return apperr.E(apperr.Unauthenticated, "Log in to manage access tokens")
	default:
		return apperr.E(apperr.Permission, "Access tokens can only be managed from a logged-in session, not with an access token")
	}
}

// CreateToken mints a token for the caller. The secret is returned once and
// never stored.
func (s *Service) CreateToken(ctx context.Context, c access.Caller, in CreateTokenInput) (Token, token.Secret, error) {
	if err := needSession(c); err != nil {
		return Token{}, token.Secret{}, err
	}
	if err := checkTokenName(in.Name); err != nil {
		return Token{}, token.Secret{}, err
	}
	role := access.TokenRole(in.Role)
	if role != access.TokenRead && role != access.TokenWrite && role != access.TokenFineGrained {
		return Token{}, token.Secret{}, apperr.E(apperr.Invalid, "role must be \"read\", \"write\" or \"fineGrained\"")
	}
	if role != access.TokenFineGrained && in.FineGrained != nil {
		return Token{}, token.Secret{}, apperr.E(apperr.Invalid, "fineGrained is only for role \"fineGrained\"")
	}
	now := s.now()
	t := Token{ID: randid.New(), UserID: c.UserID, Username: c.Username, Name: in.Name, Role: role, CreatedAt: now}
	if role == access.TokenFineGrained {
		g, err := s.resolveGrant(ctx, c, in.FineGrained)
		if err != nil {
			return Token{}, token.Secret{}, err
		}
		t.Grant = g
	}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) {
			return Token{}, token.Secret{}, apperr.E(apperr.Invalid, "expiresAt must be in the future")
		}
		if in.ExpiresAt.Sub(now) > MaxTokenLifetime {
			return Token{}, token.Secret{}, apperr.E(apperr.Invalid, "expiresAt must be within 5 years")
		}
		t.ExpiresAt = in.ExpiresAt.UTC()
	}
	secret, err := token.Generate(token.KindUser)
	if err != nil {
		return Token{}, token.Secret{}, err
	}
	t.Hash, t.Hint = secret.Hash(), secret.Hint()
	detail := map[string]string{"tokenId": t.ID, "name": t.Name, "role": string(role)}
	if t.Grant != nil {
		detail["scopes"] = fmt.Sprint(len(t.Grant.Scoped))
		if len(t.Grant.Pending) > 0 {
			detail["pendingApproval"] = strings.Join(t.Grant.Pending, ",")
		}
	}
	ev := s.event("user:"+c.UserID, EventTokenCreated, c.Username, c.SourceIP, detail)
	if err := s.Store.CreateToken(ctx, t, ev); err != nil {
		return Token{}, token.Secret{}, fmt.Errorf("create token: %w", err)
	}
	s.tokens.put(t)
	return t, secret, nil
}

// ListTokens lists the caller's tokens (metadata and hints only).
func (s *Service) ListTokens(ctx context.Context, c access.Caller) ([]Token, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	list, err := s.Store.TokensOfUser(ctx, c.UserID)
	for _, t := range list {
		s.tokens.put(t)
	}
	return list, err
}

// knownToken returns one of the caller's tokens as this process last saw
// it, reading it only when unknown; cached is true for a remembered one.
// The write that follows re-checks ownership and freshness in its
// condition, so a remembered token is never trusted on its own.
func (s *Service) knownToken(ctx context.Context, c access.Caller, id string) (t Token, cached bool, err error) {
	if err := needSession(c); err != nil {
		return Token{}, false, err
	}
	if len(id) == 0 || len(id) > 64 {
		return Token{}, false, errTokenNotFound
	}
	if t, ok := s.tokens.get(c.UserID, id); ok {
		return t, true, nil
	}
	t, err = s.Store.TokenByID(ctx, c.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		// Another user's token id looks exactly like a missing one.
		return Token{}, false, errTokenNotFound
	}
	if err != nil {
		return Token{}, false, err
	}
	s.tokens.put(t)
	return t, false, nil
}

var errTokenNotFound = apperr.E(apperr.NotExist, "Token not found")

// deleteTries bounds how often a delete follows a token that concurrent
// refreshes keep changing before it answers a conflict.
const deleteTries = 5

// DeleteToken deletes one of the caller's tokens; it stops working at once.
// It is one conditional transaction when the token is known. If refreshes
// change the token meanwhile it deletes the token as it now is (a few
// times at most, then a conflict): it never answers "not found" for a
// token that lives.
func (s *Service) DeleteToken(ctx context.Context, c access.Caller, id string) error {
	t, _, err := s.knownToken(ctx, c, id)
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		ev := s.event("user:"+c.UserID, EventTokenDeleted, c.Username, c.SourceIP, map[string]string{"tokenId": t.ID, "name": t.Name})
		now, err := s.Store.DeleteToken(ctx, t, ev)
		switch {
		case err == nil:
			s.tokens.drop(c.UserID, id)
			return nil
		case errors.Is(err, store.ErrNotFound):
			s.tokens.drop(c.UserID, id)
			return errTokenNotFound
		case !errors.Is(err, store.ErrConflict):
			return fmt.Errorf("delete token: %w", err)
		case try == deleteTries:
			return errTokenChanged
		}
		if t, err = s.tokenNow(ctx, c, id, now); err != nil {
			return err
		}
	}
}

// tokenNow is the token as a failed condition reported it, or read afresh
// when the failure did not say.
func (s *Service) tokenNow(ctx context.Context, c access.Caller, id string, now Token) (Token, error) {
	if now.ID == "" {
		s.tokens.drop(c.UserID, id)
		var err error
		now, err = s.Store.TokenByID(ctx, c.UserID, id)
		if errors.Is(err, store.ErrNotFound) {
			return Token{}, errTokenNotFound
		}
		if err != nil {
			return Token{}, err
		}
	}
	s.tokens.put(now)
	return now, nil
}

var errTokenChanged = apperr.E(apperr.Exist, "The token was changed by another request; list your tokens and try again")

// RefreshToken replaces a token's secret, keeping id, name and role. The old
// secret stops working at once. It is one conditional transaction when the
// token is known. Of concurrent refreshes exactly one wins; the others get
// a conflict. A remembered token that turns out stale is retried once with
// the state the failed condition returned, which is what a fresh read
// would have given.
func (s *Service) RefreshToken(ctx context.Context, c access.Caller, id string) (Token, token.Secret, error) {
	t, cached, err := s.knownToken(ctx, c, id)
	if err != nil {
		return Token{}, token.Secret{}, err
	}
	for {
		secret, err := token.Generate(token.KindUser)
		if err != nil {
			return Token{}, token.Secret{}, err
		}
		ev := s.event("user:"+c.UserID, EventTokenRefreshed, c.Username, c.SourceIP, map[string]string{"tokenId": t.ID, "name": t.Name})
		now, err := s.Store.RefreshToken(ctx, t, secret.Hash(), secret.Hint(), ev)
		switch {
		case err == nil:
			t.Hash, t.Hint = secret.Hash(), secret.Hint()
			s.tokens.put(t)
			return t, secret, nil
		case errors.Is(err, store.ErrNotFound):
			s.tokens.drop(c.UserID, id)
			return Token{}, token.Secret{}, errTokenNotFound
		case !errors.Is(err, store.ErrConflict):
			return Token{}, token.Secret{}, fmt.Errorf("refresh token: %w", err)
		}
		if t, err = s.tokenNow(ctx, c, id, now); err != nil {
			return Token{}, token.Secret{}, err
		}
		if !cached {
			return Token{}, token.Secret{}, errTokenChanged
		}
		cached = false
	}
}

// RevokeLeaked revokes every listed user token that exists and tells its
// owner. It reveals nothing: the caller always gets the same answer.
// Malformed entries are skipped without a store call.
func (s *Service) RevokeLeaked(ctx context.Context, credentials []string, sourceIP string) error {
	if len(credentials) > RevokeMaxCredentials {
		return apperr.E(apperr.Invalid, "At most %d credentials per request (got %d): send them in several requests", RevokeMaxCredentials, len(credentials))
	}
	now := s.now()
	n, err := s.Store.Hit(ctx, "revoke:ip:"+sourceIP, time.Minute, now)
	if err != nil {
		return fmt.Errorf("rate counter: %w", err)
	}
	if n > RevokePerSource {
		return apperr.E(apperr.RateLimited, "Too many revocation requests; try again in a minute")
	}
	for _, cred := range credentials {
		k, err := token.Parse(cred)
		if err != nil {
			continue
		}
		switch k {
		case token.KindUser:
			_, err = s.revokeUserToken(ctx, cred, Leak{SourceIP: sourceIP})
		case token.KindSession:
			_, err = s.revokeSession(ctx, cred, Leak{SourceIP: sourceIP})
		case token.KindOrg:
			if s.OrgTokens != nil {
				err = s.OrgTokens.RevokeLeakedToken(ctx, token.Hash(cred), sourceIP)
			}
		}
		// Unknown, dead or already revoked credentials are not reported
		// (the answer is the same 202 for all), but an outage is: the
		// caller must retry, or a leaked credential stays live.
		if apperr.KindOf(err) == apperr.Unavailable {
			return err
		}
		if err != nil && s.Log != nil {
			s.Log.ErrorContext(ctx, "revoke leaked credential failed", "kind", k.String(), "err", err)
		}
	}
	return nil
}

// Authenticate resolves a user token or session secret to a caller. It
// rejects malformed secrets without a store call. Org tokens are resolved by
// the orgs package.
func (s *Service) Authenticate(ctx context.Context, secret string) (access.Caller, error) {
	kind, err := token.Parse(secret)
	if err != nil {
		return access.Caller{}, ErrBadCredential
	}
	switch kind {
	case token.KindUser:
		t, err := s.Store.TokenByHash(ctx, token.Hash(secret))
		if errors.Is(err, store.ErrNotFound) {
			return access.Caller{}, ErrBadCredential
		}
		if err != nil {
			return access.Caller{}, err
		}
		if t.Expired(s.now()) {
			return access.Caller{}, ExpiredError(t.ExpiresAt)
		}
		if t.Role == access.TokenFineGrained && t.Grant == nil {
			return access.Caller{}, ErrBadCredential // fail closed on a damaged item
		}
		return access.Caller{Kind: access.KindUserToken, UserID: t.UserID, Username: t.Username, TokenID: t.ID, Role: t.Role, Grant: t.Grant}, nil
	case token.KindSession:
		sess, err := s.Store.SessionByHash(ctx, token.Hash(secret))
		if errors.Is(err, store.ErrNotFound) {
			return access.Caller{}, ErrBadCredential
		}
		if err != nil {
			return access.Caller{}, err
		}
		if !s.now().Before(sess.ExpiresAt) {
			return access.Caller{}, ErrBadCredential
		}
		return access.Caller{Kind: access.KindSession, UserID: sess.UserID, Username: sess.Username}, nil
	}
	return access.Caller{}, ErrBadCredential
}

// ExpiredError is the refusal of a token that expired at at.
func ExpiredError(at time.Time) error {
	return apperr.E(apperr.Unauthenticated, "This access token expired at %s; create a new one in your settings", at.UTC().Format(time.RFC3339))
}

// ErrBadCredential is a missing, malformed, unknown, revoked or expired
// credential: always the same error, so nothing is revealed.
var ErrBadCredential = apperr.E(apperr.Unauthenticated, "Invalid credentials in Authorization header")
