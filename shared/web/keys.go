package web

import (
	"net/http"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

type gpgData struct {
	Keys  []keyring.GPGKey
	Armor string
}

func (s *Site) gpgKeys(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	s.showGPG(w, r, c, "", gpgData{}, nil)
}

func (s *Site) showGPG(w http.ResponseWriter, r *http.Request, c access.Caller, flash string, d gpgData, formErr error) {
	keys, err := s.svc.Keys.GPGKeys(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Keys = keys
	if formErr != nil {
		s.formError(w, r, "gpg", "GPG keys", d, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "gpg", "GPG keys", d, flash)
}

func (s *Site) addGPGKey(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	armor := r.PostFormValue("key")
	k, err := s.svc.Keys.AddGPGKey(r.Context(), c, armor)
	if err != nil {
		s.showGPG(w, r, c, "", gpgData{Armor: armor}, err)
		return
	}
	s.showGPG(w, r, c, "Key "+k.Key.KeyID+" added.", gpgData{}, nil)
}

func (s *Site) deleteGPGKey(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	if err := s.svc.Keys.DeleteGPGKey(r.Context(), c, p["id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	see(w, r, "/settings/gpg-keys")
}

type sshData struct {
	Keys                  []keyring.SSHKey
	AccountID             string
	Key, Title, Signature string
}

func (s *Site) sshKeys(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	s.showSSH(w, r, c, "", sshData{}, nil)
}

func (s *Site) showSSH(w http.ResponseWriter, r *http.Request, c access.Caller, flash string, d sshData, formErr error) {
	keys, err := s.svc.Keys.SSHKeys(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Keys, d.AccountID = keys, c.UserID
	if formErr != nil {
		s.formError(w, r, "ssh", "SSH keys", d, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "ssh", "SSH keys", d, flash)
}

func (s *Site) addSSHKey(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	d := sshData{Key: r.PostFormValue("key"), Title: r.PostFormValue("title"), Signature: r.PostFormValue("signature")}
	k, err := s.svc.Keys.AddSSHKey(r.Context(), c, d.Key, d.Title, d.Signature)
	if err != nil {
		s.showSSH(w, r, c, "", d, err)
		return
	}
	s.showSSH(w, r, c, "Key "+k.Key.Fingerprint+" added.", sshData{}, nil)
}

func (s *Site) deleteSSHKey(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	if err := s.svc.Keys.DeleteSSHKey(r.Context(), c, p["id"]); err != nil {
		s.fail(w, r, err)
		return
	}
	see(w, r, "/settings/ssh-keys")
}

// gpgStatus is the key's state as a badge word.
func gpgStatus(k signingkey.GPGKey) string {
	switch {
	case k.Revoked:
		return "revoked"
	case k.ExpiresAt != nil && !k.ExpiresAt.After(time.Now()):
		return "expired"
	}
	if k.CanSign {
		return "active"
	}
	for _, sk := range k.Subkeys {
		if sk.CanSign && !sk.Revoked {
			return "active"
		}
	}
	return "cannot sign"
}
