// Package identity is the account half of the product: accounts and their
// emails, password logins and sessions, user access tokens, leaked-token
// revocation and the security audit log. It holds the rules; storage and mail
// are ports (Store, Mailer) implemented by adapters at the edge.
package identity

import (
	"context"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/audit"
)

// User is an account.
type User struct {
	ID           string
	Name         string
	Fullname     string
	PasswordHash string
	CreatedAt    time.Time
}

// Email is an address held by an account. Only verified emails count for
// anything that trusts an email (commit verification).
type Email struct {
	Address  string
	UserID   string
	Verified bool
	Primary  bool
	AddedAt  time.Time
	// ExpiresAt is when an unverified claim lapses (zero once verified):
	// past it the address is free for anyone to claim.
	ExpiresAt time.Time
}

// Lapsed reports whether e is an unverified claim past its expiry, which
// counts as no claim at all.
func (e Email) Lapsed(now time.Time) bool {
	return !e.Verified && !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt)
}

// Session is a logged-in browser session; only its hash is stored.
type Session struct {
	Hash      string
	UserID    string
	Username  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Token is a user access token's stored form: never the secret, only its hash
// and a masked hint.
type Token struct {
	ID         string
	UserID     string
	Username   string
	Name       string
	Role       access.TokenRole
	Hash       string
	Hint       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: does not expire
	// Grant is a fine-grained token's grant (Role access.TokenFineGrained
	// only). Repository scopes hold the name they had when granted.
	Grant *access.Grant
	// ExpiryWarnedAt is when the owner was mailed that the token expires
	// within a week (zero: not yet).
	ExpiryWarnedAt time.Time
}

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }

// Audit event types.
const (
	EventSignup            = "account.signup"
	EventEmailAdded        = "email.added"
	EventEmailVerified     = "email.verified"
	EventEmailCodeResent   = "email.code_resent"
	EventLogin             = "login.success"
	EventLogout            = "logout"
	EventLoginFailureBurst = "login.failure_burst"
	EventTokenCreated      = "token.created"
	EventTokenRefreshed    = "token.refreshed"
	EventTokenDeleted      = "token.deleted"
	EventTokenLeaked       = "token.revoked_leaked"
	EventTokenExpired      = "token.expired"
	EventSessionLeaked     = "session.revoked_leaked"
)

// EmailCode is a pending verification code for an address.
type EmailCode struct {
	Address   string
	UserID    string
	CodeHash  string
	ExpiresAt time.Time
	Attempts  int
}

// Store is what the service needs from storage. Every multi-item change is
// atomic in the adapter (a transaction), and uniqueness is enforced by
// conditional writes, never by a prior read.
type Store interface {
	// CreateUser stores a new account with its first email; *store.ExistsError
	// names "username" or "email" when taken.
	CreateUser(ctx context.Context, u User, e Email) error
	UserByID(ctx context.Context, id string) (User, error)
	UserByName(ctx context.Context, name string) (User, error)

	EmailByAddress(ctx context.Context, addr string) (Email, error)
	EmailsOfUser(ctx context.Context, userID string) ([]Email, error)
	// AddEmail (and CreateUser) claim an address that is free or held by a
	// lapsed unverified claim (e.AddedAt is the time compared).
	AddEmail(ctx context.Context, e Email) error
	PutEmailCode(ctx context.Context, c EmailCode) error
	EmailCode(ctx context.Context, addr string) (EmailCode, error)
	// TryEmailCode counts an attempt at the code of addr on condition that
	// fewer than limit were counted, in one update: store.ErrConflict when
	// the attempts are used up, store.ErrNotFound when there is no code.
	TryEmailCode(ctx context.Context, addr string, limit int) error
	// ConsumeEmailCode deletes the code if its hash is still codeHash and
	// marks the email verified, atomically (single use).
	ConsumeEmailCode(ctx context.Context, addr, codeHash string) error

	PutSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, hash string) (Session, error)
	DeleteSession(ctx context.Context, hash string) error

	// CreateToken, RefreshToken and DeleteToken write the audit event in
	// the same transaction as the change: both happen or neither does.
	CreateToken(ctx context.Context, t Token, ev audit.Event) error
	TokenByHash(ctx context.Context, hash string) (Token, error)
	TokenByID(ctx context.Context, userID, id string) (Token, error)
	TokensOfUser(ctx context.Context, userID string) ([]Token, error)
	// RefreshToken swaps the hash of t (whose stored hash must still be
	// t.Hash) for newHash, and DeleteToken removes t, each in one
	// conditional write. When the condition fails they return
	// store.ErrNotFound if the token is gone, or store.ErrConflict with
	// the token as it now is when known (zero otherwise).
	RefreshToken(ctx context.Context, t Token, newHash, newHint string, ev audit.Event) (Token, error)
	DeleteToken(ctx context.Context, t Token, ev audit.Event) (Token, error)
	// TouchToken records a use, at most once per interval.
	TouchToken(ctx context.Context, userID, id string, now time.Time, interval time.Duration) error

	// Hit counts an event under key in the window containing now and returns
	// the count so far.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// Count reads that count without adding to it.
	Count(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// Take counts an event under key unless the window's count is already
	// limit, atomically, and reports whether it counted it and the count.
	Take(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, bool, error)
	// Release takes back one count of Take (never below zero).
	Release(ctx context.Context, key string, window time.Duration, now time.Time) error

	AppendAudit(ctx context.Context, ev audit.Event) error
	// Audit lists subject's events newest first; cursor is opaque.
	Audit(ctx context.Context, subject string, limit int, cursor string) ([]audit.Event, string, error)
}

// Mailer sends mail. The local adapter writes to an outbox directory.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}
