package signature

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject"
)

// Verify parses raw (a commit or tag exactly as `git cat-file` prints it),
// verifies its signature against keys and returns the verdict. now is
// recorded as VerifiedAt; key validity is judged at the signature's own
// creation time. See the package documentation for the rules and errors.
func Verify(ctx context.Context, raw []byte, kind ObjectKind, keys KeyDirectory, now time.Time) (Result, error) {
	res := Result{Kind: kind, VerifiedAt: now.UTC()}
	var payload, sig []byte
	switch kind {
	case Commit:
		c, err := gitobject.ParseCommit(raw)
		if err != nil {
			return Result{}, err
		}
		res.ObjectID, res.ObjectFormat = c.ID(), c.Format
		author, committer := c.Author, c.Committer
		res.Author, res.Committer = &author, &committer
		payload, sig = c.Payload, c.Signature
	case Tag:
		t, err := gitobject.ParseTag(raw)
		if err != nil {
			return Result{}, err
		}
		res.ObjectID, res.ObjectFormat = t.ID(), t.Format
		res.Committer = t.Tagger
		payload, sig = t.Payload, t.Signature
	default:
		return Result{}, &gitobject.ParseError{Err: gitobject.ErrWrongKind, Detail: fmt.Sprintf("kind %q", kind)}
	}
	if sig == nil {
		res.setReason(ReasonUnsigned)
		return res, nil
	}
	res.Signature, res.Payload = string(sig), string(payload)
	email := ""
	if res.Committer != nil {
		email = res.Committer.Email
	}
	chk := &checker{ctx: ctx, keys: keys, email: email}
	var err error
	switch res.SignatureType = typeOf(sig); res.SignatureType {
	case TypeGPG:
		err = chk.verifyGPG(&res, payload, sig)
	case TypeSSH:
		err = chk.verifySSH(&res, payload, sig)
	default:
		res.setReason(ReasonUnknownSignatureType)
	}
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// typeOf recognises the armor of a signature block.
func typeOf(sig []byte) SignatureType {
	switch {
	case bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")),
		bytes.HasPrefix(sig, []byte("-----BEGIN PGP MESSAGE-----")):
		return TypeGPG
	case bytes.HasPrefix(sig, []byte("-----BEGIN SSH SIGNATURE-----")):
		return TypeSSH
	case bytes.HasPrefix(sig, []byte("-----BEGIN SIGNED MESSAGE-----")):
		return TypeX509
	}
	return TypeUnknown
}

// checker carries what the per-type verifiers share within one Verify call.
type checker struct {
	ctx   context.Context
	keys  KeyDirectory
	email string

	owner *emailOwner // looked up once, lazily
}

type emailOwner struct {
	accountID       string
	verified, found bool
}

// accountReason applies the account and email checks for a key of
// accountID: no_user, other_user, unverified_email, then valid (the caller
// applies bad_email for OpenPGP).
func (c *checker) accountReason(accountID string) (Reason, error) {
	if accountID == ServiceAccount {
		return ReasonSignedByService, nil
	}
	if c.owner == nil {
		o := &emailOwner{}
		if c.email != "" {
			var err error
			o.accountID, o.verified, o.found, err = c.keys.EmailOwner(c.ctx, c.email)
			if err != nil {
				return "", fmt.Errorf("look up owner of committer email: %w", err)
			}
		}
		c.owner = o
	}
	switch {
	case !c.owner.found:
		return ReasonNoUser, nil
	case c.owner.accountID != accountID:
		return ReasonOtherUser, nil
	case !c.owner.verified:
		return ReasonUnverifiedEmail, nil
	}
	return ReasonValid, nil
}

// better reports whether candidate passed more checks than current.
func better(candidate, current Reason) bool {
	return current == "" || progress[candidate] > progress[current]
}
