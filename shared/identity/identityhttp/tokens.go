package identityhttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/token"
)

// Tokens returns the tokens function's handler.
func Tokens(svc *identity.Service, log *slog.Logger) http.Handler {
	a := &api{svc: svc, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/settings/tokens", a.listTokens)
	mux.HandleFunc("POST /api/settings/tokens", a.createToken)
	mux.HandleFunc("DELETE /api/settings/tokens/{id}", a.deleteToken)
	mux.HandleFunc("POST /api/settings/tokens/{id}/refresh", a.refreshToken)
	mux.HandleFunc("POST /api/credentials/revoke", a.revoke)
	a.orgTokenRoutes(mux)
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, a.fail)
}

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	Hint       string     `json:"hint"`
	Token      string     `json:"token,omitempty"` // only when just created or refreshed
	// FineGrained is the grant of a fineGrained token, with the current
	// names of its repositories.
	FineGrained *fineGrainedJSON `json:"fineGrained,omitempty"`
}

func toJSON(t identity.Token, secret *token.Secret) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Role: string(t.Role), CreatedAt: t.CreatedAt, Hint: t.Hint}
	if !t.LastUsedAt.IsZero() {
		v := t.LastUsedAt
		out.LastUsedAt = &v
	}
	if !t.ExpiresAt.IsZero() {
		v := t.ExpiresAt
		out.ExpiresAt = &v
	}
	if secret != nil {
		out.Token = secret.Reveal()
	}
	out.FineGrained = toFineGrainedJSON(t.Grant)
	return out
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := a.svc.ListTokens(r.Context(), principal.From(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]tokenJSON, 0, len(list))
	for _, t := range list {
		if t.Grant, err = a.svc.ShownGrant(r.Context(), t.Grant); err != nil {
			a.fail(w, r, err)
			return
		}
		out = append(out, toJSON(t, nil))
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (a *api) createToken(w http.ResponseWriter, r *http.Request) {
	var in identity.CreateTokenInput
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	t, secret, err := a.svc.CreateToken(r.Context(), principal.From(r.Context()), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, http.StatusCreated, toJSON(t, &secret))
}

func (a *api) deleteToken(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.DeleteToken(r.Context(), principal.From(r.Context()), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) refreshToken(w http.ResponseWriter, r *http.Request) {
	t, secret, err := a.svc.RefreshToken(r.Context(), principal.From(r.Context()), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, http.StatusOK, toJSON(t, &secret))
}

// revoke always answers 202 once the body parses, so it cannot be used to
// test whether a token is valid.
func (a *api) revoke(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Credentials []string `json:"credentials"`
	}
	if err := httpapi.Decode(r, &in, 256<<10); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.svc.RevokeLeaked(r.Context(), in.Credentials, principal.From(r.Context()).SourceIP); err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}
