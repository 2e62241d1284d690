package identityhttp

import (
	"net/http"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// Organizations' token policy endpoints (org admins, logged-in session):
// tokens waiting for approval, approve, deny, and revoking a member's
// token scoped to the organization.
func (a *api) orgTokenRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/organizations/{org}/settings/tokens", a.pendingTokens)
	mux.HandleFunc("POST /api/organizations/{org}/settings/tokens/{id}/approve", a.resolveToken(true))
	mux.HandleFunc("POST /api/organizations/{org}/settings/tokens/{id}/deny", a.resolveToken(false))
	mux.HandleFunc("POST /api/organizations/{org}/settings/tokens/revoke", a.revokeForOrg)
}

type approvalJSON struct {
	TokenID   string    `json:"tokenId"`
	User      string    `json:"user"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	Status    string    `json:"status"`
}

func (a *api) pendingTokens(w http.ResponseWriter, r *http.Request) {
	list, err := a.svc.PendingTokens(r.Context(), principal.From(r.Context()), r.PathValue("org"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]approvalJSON, 0, len(list))
	for _, p := range list {
		out = append(out, approvalJSON{TokenID: p.TokenID, User: p.Username, Name: p.TokenName, CreatedAt: p.CreatedAt, Status: "pending"})
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (a *api) resolveToken(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.svc.ResolveToken(r.Context(), principal.From(r.Context()), r.PathValue("org"), r.PathValue("id"), approve); err != nil {
			a.fail(w, r, err)
			return
		}
		status := "denied"
		if approve {
			status = "approved"
		}
		httpapi.JSON(w, http.StatusOK, map[string]string{"tokenId": r.PathValue("id"), "status": status})
	}
}

func (a *api) revokeForOrg(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := httpapi.Decode(r, &in, 4<<10); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.svc.RevokeForOrg(r.Context(), principal.From(r.Context()), r.PathValue("org"), in.Token); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
