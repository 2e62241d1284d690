package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// AddGPGKey parses an armored OpenPGP public key and adds it to the
// caller's account. See the package documentation for the rules.
func (s *Service) AddGPGKey(ctx context.Context, c access.Caller, armored string) (GPGKey, error) {
	if err := needSession(c); err != nil {
		return GPGKey{}, err
	}
	if strings.TrimSpace(armored) == "" {
		return GPGKey{}, apperr.E(apperr.Invalid, "armoredKey is required: the output of gpg --armor --export KEYID")
	}
	parsed, err := signingkey.ParseGPG(armored)
	if err != nil {
		var ke *signingkey.KeyError
		if errors.As(err, &ke) {
			return GPGKey{}, apperr.Wrap(apperr.Invalid, nil, "GPG key refused: "+ke.Error())
		}
		return GPGKey{}, fmt.Errorf("parse GPG key: %w", err)
	}
	if len(armored) > MaxArmoredKey {
		return GPGKey{}, apperr.E(apperr.Invalid, "GPG key refused: %d bytes, limit %d; export it without third-party signatures: gpg --armor --export-options export-minimal --export %s",
			len(armored), MaxArmoredKey, parsed.KeyID)
	}
	if len(parsed.Subkeys) > MaxSubkeys {
		return GPGKey{}, apperr.E(apperr.Invalid, "GPG key refused: %d subkeys, limit %d", len(parsed.Subkeys), MaxSubkeys)
	}
	if len(parsed.Emails) == 0 {
		return GPGKey{}, apperr.E(apperr.Invalid, "GPG key refused: no user ID carries an email address; add one that is a verified email of your account (gpg --quick-add-uid)")
	}
	if len(parsed.Emails) > MaxKeyEmails {
		return GPGKey{}, apperr.E(apperr.Invalid, "GPG key refused: %d user-id emails, limit %d", len(parsed.Emails), MaxKeyEmails)
	}
	// Every email is taken to be a verified email of the caller, and the
	// store's transaction checks it: one round trip when that holds (the
	// usual case). Those it finds unverified are marked so and the upload
	// is tried again, once per email at most.
	for i := range parsed.Emails {
		parsed.Emails[i].Verified = true
	}
	k := GPGKey{ID: randid.New(), UserID: c.UserID, AddedAt: s.now(), Key: *parsed}
	for tries := 0; ; tries++ {
		if !anyVerified(k.Key.Emails) {
			return GPGKey{}, noVerifiedEmail(k.Key.Emails)
		}
		ev := s.event(c, EventGPGKeyAdded, map[string]string{"id": k.ID, "keyId": parsed.KeyID, "fingerprint": parsed.Fingerprint})
		err = s.Store.AddGPGKey(ctx, k, ev)
		var ue *UnverifiedEmailsError
		if !errors.As(err, &ue) {
			break
		}
		if tries == len(k.Key.Emails) {
			return GPGKey{}, apperr.E(apperr.Exist, "Your emails changed while the key was being added; try again")
		}
		for i := range k.Key.Emails {
			for _, addr := range ue.Emails {
				if k.Key.Emails[i].Email == addr {
					k.Key.Emails[i].Verified = false
				}
			}
		}
	}
	var te *TakenError
	if errors.As(err, &te) {
		// The failed transaction did not establish which of k's emails
		// the caller has verified: read them (this path is rare).
		for i := range k.Key.Emails {
			ok, rerr := s.emailVerifiedFor(ctx, k.Key.Emails[i].Email, c.UserID)
			if rerr != nil {
				return GPGKey{}, rerr
			}
			k.Key.Emails[i].Verified = ok
		}
		if !anyVerified(k.Key.Emails) {
			return GPGKey{}, noVerifiedEmail(k.Key.Emails)
		}
		var reclaimed bool
		if reclaimed, err = s.reclaimGPGKey(ctx, c, k, te); err == nil && reclaimed {
			s.audit(ctx, c, EventGPGKeyAdded, map[string]string{"id": k.ID, "keyId": parsed.KeyID, "fingerprint": parsed.Fingerprint})
		} else if err == nil {
			err = te
		}
	}
	if err != nil {
		if errors.Is(err, ErrTaken) {
			return GPGKey{}, taken(c, err)
		}
		return GPGKey{}, fmt.Errorf("add GPG key: %w", err)
	}
	return k, nil
}

// noVerifiedEmail refuses a key none of whose emails the uploader has
// verified.
func noVerifiedEmail(emails []signingkey.Email) error {
	list := make([]string, len(emails))
	for i, e := range emails {
		list[i] = e.Email
	}
	return apperr.E(apperr.Invalid, "GPG key refused: none of its emails (%s) is a verified email of your account; add and verify one first", strings.Join(list, ", "))
}

func anyVerified(emails []signingkey.Email) bool {
	for _, e := range emails {
		if e.Verified {
			return true
		}
	}
	return false
}

// reclaimGPGKey lets the verified owner of a key's email take the key
// back from an account that does not own any of its emails: when the
// primary fingerprint of k (whose uploader has one of its emails
// verified) is held by another account's record, and that account has
// none of the emails of k or of its own copy verified, its record is
// replaced by k in one transaction conditional on that record, and both
// accounts get an audit event. It reports whether it did.
func (s *Service) reclaimGPGKey(ctx context.Context, c access.Caller, k GPGKey, te *TakenError) (bool, error) {
	if te.Fingerprint != k.Key.Fingerprint || te.UserID == "" || te.UserID == c.UserID || te.RecordID == "" {
		return false, nil
	}
	if !anyVerified(k.Key.Emails) {
		return false, nil
	}
	old, err := s.Store.GPGKey(ctx, te.UserID, te.RecordID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // gone meanwhile: a retry adds the key the usual way
	}
	if err != nil {
		return false, fmt.Errorf("read the holder's GPG key: %w", err)
	}
	for _, list := range [][]signingkey.Email{k.Key.Emails, old.Key.Emails} {
		for _, e := range list {
			ok, err := s.emailVerifiedFor(ctx, e.Email, old.UserID)
			if err != nil {
				return false, err
			}
			if ok {
				return false, nil // the holder owns one of its emails: it stays
			}
		}
	}
	if err := s.Store.ReplaceGPGKey(ctx, old, k); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return false, apperr.E(apperr.Exist, "The key changed while it was being reclaimed; try again")
		}
		return false, err
	}
	details := map[string]string{"keyId": k.Key.KeyID, "fingerprint": k.Key.Fingerprint, "from": old.UserID, "fromRecord": old.ID, "to": c.UserID, "toRecord": k.ID}
	s.audit(ctx, c, EventGPGKeyReclaimed, details)
	s.audit(ctx, access.Caller{UserID: old.UserID, Username: c.Username, SourceIP: c.SourceIP}, EventGPGKeyReclaimed, details)
	return true, nil
}

// GPGKeys lists the caller's OpenPGP keys, each email marked verified or
// not for the caller now (an email verified after the upload shows as
// verified).
func (s *Service) GPGKeys(ctx context.Context, c access.Caller) ([]GPGKey, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	keys, err := s.Store.GPGKeys(ctx, c.UserID)
	if err != nil {
		return nil, fmt.Errorf("list GPG keys: %w", err)
	}
	seen := map[string]bool{}
	for i := range keys {
		for j := range keys[i].Key.Emails {
			e := &keys[i].Key.Emails[j]
			v, ok := seen[strings.ToLower(e.Email)]
			if !ok {
				if v, err = s.emailVerifiedFor(ctx, e.Email, c.UserID); err != nil {
					return nil, err
				}
				seen[strings.ToLower(e.Email)] = v
			}
			e.Verified = v
		}
	}
	return keys, nil
}

// DeleteGPGKey removes one of the caller's OpenPGP keys. Verification
// records of commits it signed are not changed.
func (s *Service) DeleteGPGKey(ctx context.Context, c access.Caller, id string) error {
	if err := needSession(c); err != nil {
		return err
	}
	if !validID(id) {
		return apperr.E(apperr.NotExist, "GPG key not found")
	}
	k, err := s.Store.GPGKey(ctx, c.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.E(apperr.NotExist, "GPG key not found")
	}
	if err != nil {
		return fmt.Errorf("read GPG key: %w", err)
	}
	if err := s.Store.DeleteGPGKey(ctx, k); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.E(apperr.NotExist, "GPG key not found")
		}
		return fmt.Errorf("delete GPG key: %w", err)
	}
	s.audit(ctx, c, EventGPGKeyRemoved, map[string]string{"id": k.ID, "keyId": k.Key.KeyID, "fingerprint": k.Key.Fingerprint})
	return nil
}
