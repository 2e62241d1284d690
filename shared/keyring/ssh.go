package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// AddSSHKey parses an SSH public key (a .pub line) and adds it to the
// caller's account as a signing key. title defaults to the key's comment.
// proof is the armored SSHSIG the key's private key made over the caller's
// account id in signingkey.ProofNamespace: without it anyone could upload
// someone else's public key and have their commits judged against the
// wrong account.
func (s *Service) AddSSHKey(ctx context.Context, c access.Caller, line, title, proof string) (SSHKey, error) {
	if err := needSession(c); err != nil {
		return SSHKey{}, err
	}
	if strings.TrimSpace(line) == "" {
		return SSHKey{}, apperr.E(apperr.Invalid, "key is required: the contents of your .pub file")
	}
	parsed, err := signingkey.ParseSSH(line)
	if err != nil {
		var ke *signingkey.KeyError
		if errors.As(err, &ke) {
			return SSHKey{}, apperr.Wrap(apperr.Invalid, nil, "SSH key refused: "+ke.Error())
		}
		return SSHKey{}, fmt.Errorf("parse SSH key: %w", err)
	}
	if err := parsed.VerifyProof(c.UserID, strings.TrimSpace(proof)); err != nil {
		return SSHKey{}, apperr.Wrap(apperr.Invalid, nil, "SSH key refused: "+err.Error())
	}
	title = strings.TrimSpace(title)
	if title == "" {
		title = parsed.Comment
	}
	if utf8.RuneCountInString(title) > MaxTitle || !utf8.ValidString(title) || strings.ContainsAny(title, "\x00\r\n") {
		return SSHKey{}, apperr.E(apperr.Invalid, "title must be at most %d characters on one line", MaxTitle)
	}
	k := SSHKey{ID: randid.New(), UserID: c.UserID, Title: title, AddedAt: s.now(), Key: *parsed}
	if err := s.Store.AddSSHKey(ctx, k); err != nil {
		if errors.Is(err, ErrTaken) {
			return SSHKey{}, taken(c, err)
		}
		return SSHKey{}, fmt.Errorf("add SSH key: %w", err)
	}
	s.audit(ctx, c, EventSSHKeyAdded, map[string]string{"id": k.ID, "fingerprint": parsed.Fingerprint})
	return k, nil
}

// SSHKeys lists the caller's SSH signing keys.
func (s *Service) SSHKeys(ctx context.Context, c access.Caller) ([]SSHKey, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	keys, err := s.Store.SSHKeys(ctx, c.UserID)
	if err != nil {
		return nil, fmt.Errorf("list SSH keys: %w", err)
	}
	return keys, nil
}

// DeleteSSHKey removes one of the caller's SSH signing keys. Verification
// records of commits it signed are not changed.
func (s *Service) DeleteSSHKey(ctx context.Context, c access.Caller, id string) error {
	if err := needSession(c); err != nil {
		return err
	}
	if !validID(id) {
		return apperr.E(apperr.NotExist, "SSH key not found")
	}
	k, err := s.Store.SSHKey(ctx, c.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.E(apperr.NotExist, "SSH key not found")
	}
	if err != nil {
		return fmt.Errorf("read SSH key: %w", err)
	}
	if err := s.Store.DeleteSSHKey(ctx, k); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.E(apperr.NotExist, "SSH key not found")
		}
		return fmt.Errorf("delete SSH key: %w", err)
	}
	s.audit(ctx, c, EventSSHKeyRemoved, map[string]string{"id": k.ID, "fingerprint": k.Key.Fingerprint})
	return nil
}
