package keyring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// Limits on what one key may carry. They keep every item of a key under
// DynamoDB's 400 KB item limit and a key's transaction under 100 items.
const (
	// MaxArmoredKey bounds a stored armored OpenPGP key. Keys swollen by
	// third-party certifications shrink with
	// `gpg --armor --export-options export-minimal --export KEYID`.
	MaxArmoredKey = 64 << 10
	// MaxSubkeys bounds the subkeys of one OpenPGP key.
	MaxSubkeys = 31
	// MaxKeyEmails bounds the user-id emails looked up for one key.
	MaxKeyEmails = 32
	// MaxTitle bounds an SSH key's title.
	MaxTitle = 100
)

// Audit event types, on the subject "user:<id>".
const (
	EventGPGKeyAdded   = "gpg_key.added"
	EventGPGKeyRemoved = "gpg_key.removed"
	EventSSHKeyAdded   = "ssh_key.added"
	EventSSHKeyRemoved = "ssh_key.removed"
	// EventGPGKeyReclaimed is on both accounts: the one that lost the key
	// and the one that reclaimed it (see Service.AddGPGKey).
	EventGPGKeyReclaimed = "gpg_key.reclaimed"
)

// GPGKey is an OpenPGP key uploaded to an account.
type GPGKey struct {
	ID      string // ours: 24 hex digits
	UserID  string
	AddedAt time.Time
	// Key is the parsed key with each email marked verified or not for
	// UserID at upload time; Key.RawKey is the armored upload.
	Key signingkey.GPGKey
}

// Claimed returns the primary key and the subkeys that can sign (which
// carry a back-signature, see signingkey.SubkeyCanSign): the keys the
// Store indexes and claims for this account. Other subkeys are not
// claimed: their binding proves nothing about who holds them, so claiming
// them would let anyone block another person's key, and they sign nothing.
func (k GPGKey) Claimed() []signingkey.GPGKey {
	out := []signingkey.GPGKey{k.Key}
	for _, s := range k.Key.Subkeys {
		if s.CanSign {
			out = append(out, s)
		}
	}
	return out
}

// Fingerprints returns the fingerprints of Claimed().
func (k GPGKey) Fingerprints() []string {
	var out []string
	for _, c := range k.Claimed() {
		out = append(out, c.Fingerprint)
	}
	return out
}

// SSHKey is an SSH signing key uploaded to an account.
type SSHKey struct {
	ID      string
	UserID  string
	Title   string
	AddedAt time.Time
	Key     signingkey.SSHKey
}

// ErrTaken is what a *TakenError unwraps to.
var ErrTaken = errors.New("key already registered")

// TakenError says that a fingerprint of an uploaded key is already held by
// an account (perhaps the uploader's own).
type TakenError struct {
	Fingerprint string
	UserID      string // the holder, "" when it could not be told
	RecordID    string // the holder's key record (GPG), "" when not told
}

func (e *TakenError) Error() string {
	return fmt.Sprintf("fingerprint %s already registered", e.Fingerprint)
}

// Unwrap returns ErrTaken.
func (e *TakenError) Unwrap() error { return ErrTaken }

// UnverifiedEmailsError names the emails of an uploaded key that the
// store found not to be verified emails of the uploader.
type UnverifiedEmailsError struct{ Emails []string }

func (e *UnverifiedEmailsError) Error() string {
	return fmt.Sprintf("not verified emails of the uploader: %v", e.Emails)
}

// Store is what the service needs from storage. Not-found is
// store.ErrNotFound.
type Store interface {
	// AddGPGKey stores k, claiming every fingerprint of Fingerprints(), in
	// one transaction; a *TakenError when any is already claimed.
	// The same transaction checks that every email of k marked Verified
	// is still a verified email of k.UserID (a *UnverifiedEmailsError
	// names those that are not) and writes ev.
	AddGPGKey(ctx context.Context, k GPGKey, ev audit.Event) error
	// GPGKeys lists a user's OpenPGP keys, oldest first (strongly consistent).
	GPGKeys(ctx context.Context, userID string) ([]GPGKey, error)
	// GPGKey reads one of a user's OpenPGP keys.
	GPGKey(ctx context.Context, userID, id string) (GPGKey, error)
	// DeleteGPGKey removes k and its claims in one transaction;
	// store.ErrNotFound if it is already gone.
	DeleteGPGKey(ctx context.Context, k GPGKey) error
	// ReplaceGPGKey removes old (another account's record) with its claims
	// and stores k with its claims, in one transaction conditional on old
	// still being that record and holding those claims: store.ErrConflict
	// when it changed, a *TakenError when a claim of k is held elsewhere.
	ReplaceGPGKey(ctx context.Context, old, k GPGKey) error

	// AddSSHKey stores k, claiming its fingerprint, in one transaction; a
	// *TakenError when the fingerprint is claimed.
	AddSSHKey(ctx context.Context, k SSHKey) error
	SSHKeys(ctx context.Context, userID string) ([]SSHKey, error)
	SSHKey(ctx context.Context, userID, id string) (SSHKey, error)
	DeleteSSHKey(ctx context.Context, k SSHKey) error
}

// Emails reads account emails (identityddb.Store implements it).
type Emails interface {
	EmailByAddress(ctx context.Context, addr string) (identity.Email, error)
}

// AuditLog records security events (ddb.Table implements it).
type AuditLog interface {
	AppendAudit(ctx context.Context, ev audit.Event) error
}
