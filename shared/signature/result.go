package signature

import (
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject"
)

// ObjectKind is the kind of object verified: Commit or Tag.
type ObjectKind = gitobject.Kind

// Object kinds.
const (
	Commit = gitobject.KindCommit
	Tag    = gitobject.KindTag
)

// Status is the summary verdict shown next to a commit.
type Status string

// Statuses.
const (
	StatusVerified   Status = "verified"
	StatusUnverified Status = "unverified"
	StatusUnsigned   Status = "unsigned"
)

// Reason explains a Status; see the package documentation for precedence.
type Reason string

// Reasons, in the order their checks run.
const (
	ReasonUnsigned             Reason = "unsigned"
	ReasonUnknownSignatureType Reason = "unknown_signature_type"
	ReasonMalformedSignature   Reason = "malformed_signature"
	ReasonWeakHash             Reason = "weak_hash"
	ReasonUnknownKey           Reason = "unknown_key"
	ReasonInvalid              Reason = "invalid"
	ReasonRevokedKey           Reason = "revoked_key"
	ReasonExpiredKey           Reason = "expired_key"
	ReasonNotSigningKey        Reason = "not_signing_key"
	ReasonNoUser               Reason = "no_user"
	ReasonOtherUser            Reason = "other_user"
	ReasonUnverifiedEmail      Reason = "unverified_email"
	ReasonBadEmail             Reason = "bad_email"
	ReasonValid                Reason = "valid"
)

// progress orders reasons by how many checks passed; higher is closer to valid.
var progress = map[Reason]int{
	ReasonUnsigned: 0, ReasonUnknownSignatureType: 1, ReasonMalformedSignature: 2,
	ReasonWeakHash: 3, ReasonUnknownKey: 4, ReasonInvalid: 5, ReasonRevokedKey: 6,
	ReasonExpiredKey: 7, ReasonNotSigningKey: 8, ReasonNoUser: 9, ReasonOtherUser: 10,
	ReasonUnverifiedEmail: 11, ReasonBadEmail: 12, ReasonValid: 13,
}

// CryptoValid reports whether the reason implies a cryptographically valid
// signature by a known key (whatever the key's status or the emails).
func (r Reason) CryptoValid() bool { return progress[r] > progress[ReasonInvalid] }

// SignatureType is the kind of signature found.
type SignatureType string

// Signature types; "" when unsigned.
const (
	TypeGPG     SignatureType = "gpg"
	TypeSSH     SignatureType = "ssh"
	TypeX509    SignatureType = "x509"
	TypeUnknown SignatureType = "unknown"
)

// Result is the verification record of one object. It is meant to be stored
// as is ("persistent verification": removing a key later does not change
// it). Signature and Payload may be large; a store may drop them.
type Result struct {
	ObjectID      string           `json:"object_id"`
	ObjectFormat  gitobject.Format `json:"object_format"` // sha1 or sha256
	Kind          ObjectKind       `json:"kind"`          // commit or tag
	Verified      bool             `json:"verified"`
	Status        Status           `json:"status"`
	Reason        Reason           `json:"reason"`
	SignatureType SignatureType    `json:"signature_type,omitempty"`

	// SignerKeyID is the 16-hex-digit id of the OpenPGP key or subkey that
	// the signature names; SignerPrimaryKeyID its primary key when known.
	SignerKeyID        string `json:"signer_key_id,omitempty"`
	SignerPrimaryKeyID string `json:"signer_primary_key_id,omitempty"`
	// SignerFingerprint is the OpenPGP (sub)key fingerprint when known, or
	// the SSH key's "SHA256:..." fingerprint.
	SignerFingerprint string `json:"signer_fingerprint,omitempty"`
	// AccountID is the account whose uploaded key made the signature.
	AccountID string     `json:"account_id,omitempty"`
	SignedAt  *time.Time `json:"signed_at,omitempty"` // OpenPGP signature creation time

	Author     *gitobject.Identity `json:"author,omitempty"`    // nil for tags
	Committer  *gitobject.Identity `json:"committer,omitempty"` // the tagger for tags
	VerifiedAt time.Time           `json:"verified_at"`

	Signature string `json:"signature,omitempty"`
	Payload   string `json:"payload,omitempty"`
}

// setReason sets Reason, Status and Verified together.
func (r *Result) setReason(reason Reason) {
	r.Reason = reason
	r.Verified = reason == ReasonValid || reason == ReasonSignedByService
	switch reason {
	case ReasonValid, ReasonSignedByService:
		r.Status = StatusVerified
	case ReasonUnsigned:
		r.Status = StatusUnsigned
	default:
		r.Status = StatusUnverified
	}
}
