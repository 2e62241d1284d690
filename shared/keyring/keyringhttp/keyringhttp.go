// Package keyringhttp is the HTTP face of package keyring: the signing-keys
// function (GPG and SSH signing keys under /api/settings). Requests arrive
// through the authorizer (principal.Middleware); the service re-checks that
// the caller is a logged-in session.
package keyringhttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// maxKeyBody bounds an upload body: an armored key at its limit, JSON
// escaped (every newline becomes two bytes), with room to spare.
const maxKeyBody = 4 * keyring.MaxArmoredKey

// Handler returns the signing-keys function's handler.
func Handler(svc *keyring.Service, log *slog.Logger) http.Handler {
	a := &api{svc: svc, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/settings/gpg-keys", a.listGPG)
	mux.HandleFunc("POST /api/settings/gpg-keys", a.addGPG)
	mux.HandleFunc("DELETE /api/settings/gpg-keys/{id}", a.deleteGPG)
	mux.HandleFunc("GET /api/settings/ssh-keys", a.listSSH)
	mux.HandleFunc("POST /api/settings/ssh-keys", a.addSSH)
	mux.HandleFunc("DELETE /api/settings/ssh-keys/{id}", a.deleteSSH)
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, a.fail)
}

type api struct {
	svc *keyring.Service
	log *slog.Logger
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, a.log, err)
}

// GPGKeyJSON is an uploaded OpenPGP key as the API shows it: GitHub's GPG
// key fields (key_id, emails, subkeys, can_sign, created_at, expires_at,
// revoked, raw_key, ...) plus our id and added_at.
type GPGKeyJSON struct {
	ID string `json:"id"`
	*signingkey.GPGKey
	AddedAt time.Time `json:"added_at"`
}

// SSHKeyJSON is an uploaded SSH signing key as the API shows it.
type SSHKeyJSON struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Key         string    `json:"key"`
	Type        string    `json:"type"`
	Fingerprint string    `json:"fingerprint"`
	BitLength   int       `json:"bit_length"`
	AddedAt     time.Time `json:"created_at"`
}

func gpgJSON(k keyring.GPGKey) GPGKeyJSON {
	return GPGKeyJSON{ID: k.ID, GPGKey: &k.Key, AddedAt: k.AddedAt}
}

func sshJSON(k keyring.SSHKey) SSHKeyJSON {
	return SSHKeyJSON{ID: k.ID, Title: k.Title, Key: k.Key.Key, Type: k.Key.Type,
		Fingerprint: k.Key.Fingerprint, BitLength: k.Key.BitLength, AddedAt: k.AddedAt}
}

// addGPGInput accepts our field name and GitHub's.
type addGPGInput struct {
	ArmoredKey       string `json:"armoredKey"`
	ArmoredPublicKey string `json:"armored_public_key"`
}

func (a *api) addGPG(w http.ResponseWriter, r *http.Request) {
	var in addGPGInput
	if err := httpapi.Decode(r, &in, maxKeyBody); err != nil {
		a.fail(w, r, err)
		return
	}
	armored := in.ArmoredKey
	if armored == "" {
		armored = in.ArmoredPublicKey
	}
	k, err := a.svc.AddGPGKey(r.Context(), principal.From(r.Context()), armored)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusCreated, gpgJSON(k))
}

func (a *api) listGPG(w http.ResponseWriter, r *http.Request) {
	keys, err := a.svc.GPGKeys(r.Context(), principal.From(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]GPGKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, gpgJSON(k))
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (a *api) deleteGPG(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.DeleteGPGKey(r.Context(), principal.From(r.Context()), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addSSHInput is an SSH key upload; Signature is the proof of possession
// (see keyring.Service.AddSSHKey).
type addSSHInput struct {
	Key       string `json:"key"`
	Title     string `json:"title"`
	Signature string `json:"signature"`
}

func (a *api) addSSH(w http.ResponseWriter, r *http.Request) {
	var in addSSHInput
	if err := httpapi.Decode(r, &in, 4*(signingkey.MaxSSHKeyLineSize+signingkey.MaxProofSize)); err != nil {
		a.fail(w, r, err)
		return
	}
	k, err := a.svc.AddSSHKey(r.Context(), principal.From(r.Context()), in.Key, in.Title, in.Signature)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusCreated, sshJSON(k))
}

func (a *api) listSSH(w http.ResponseWriter, r *http.Request) {
	keys, err := a.svc.SSHKeys(r.Context(), principal.From(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]SSHKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, sshJSON(k))
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (a *api) deleteSSH(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.DeleteSSHKey(r.Context(), principal.From(r.Context()), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
