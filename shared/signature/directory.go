package signature

import (
	"context"
	"time"
)

// KeyDirectory is what verification needs from storage. The storage adapter
// implements it; every method returns an error only for infrastructure
// failures (not-found is an empty result, never an error).
type KeyDirectory interface {
	// GPGKeysByID returns the uploaded OpenPGP keys whose primary key or a
	// subkey has this 64-bit key id, from every account that uploaded one.
	GPGKeysByID(ctx context.Context, keyID uint64) ([]UploadedGPGKey, error)
	// SSHKeysByFingerprint returns the uploaded SSH signing keys with this
	// "SHA256:..." fingerprint, from every account that uploaded one.
	SSHKeysByFingerprint(ctx context.Context, fingerprint string) ([]UploadedSSHKey, error)
	// EmailOwner returns the account that holds email (compared
	// case-insensitively), and whether the email is verified there.
	EmailOwner(ctx context.Context, email string) (accountID string, verified, found bool, err error)
}

// UploadedGPGKey is an OpenPGP key as stored for an account. The directory
// should index it under the key ids of the primary key and every subkey
// (signingkey.GPGKey.KeyID and Subkeys[i].KeyID).
type UploadedGPGKey struct {
	AccountID  string
	ArmoredKey string // the raw_key uploaded, parsed (and cached) here
	UploadedAt time.Time
}

// UploadedSSHKey is an SSH signing key as stored for an account.
type UploadedSSHKey struct {
	AccountID  string
	Key        string // authorized_keys line, as signingkey.SSHKey.Key
	UploadedAt time.Time
}
