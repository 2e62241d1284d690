// Package orghttp is the HTTP face of the org package: the orgs function
// (/api/organizations/...). Every handler decodes, calls the service (which
// asks access.Decide with the caller's role loaded for this request) and
// answers through httpapi.
package orghttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/audit/audithttp"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

type api struct {
	svc *org.Service
	log *slog.Logger
}

// Handler returns the orgs function's handler, behind principal.Middleware.
func Handler(svc *org.Service, log *slog.Logger) http.Handler {
	a := &api{svc: svc, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/organizations", a.create)
	mux.HandleFunc("GET /api/organizations/{org}", a.get)
	mux.HandleFunc("PUT /api/organizations/{org}", a.updateProfile)
	mux.HandleFunc("GET /api/organizations/{org}/members", a.members)
	mux.HandleFunc("PUT /api/organizations/{org}/members/{username}", a.setMember)
	mux.HandleFunc("DELETE /api/organizations/{org}/members/{username}", a.removeMember)
	mux.HandleFunc("GET /api/organizations/{org}/settings", a.settings)
	mux.HandleFunc("PUT /api/organizations/{org}/settings", a.updateSettings)
	mux.HandleFunc("GET /api/organizations/{org}/token", a.token)
	mux.HandleFunc("POST /api/organizations/{org}/token/refresh", a.refreshToken)
	mux.HandleFunc("DELETE /api/organizations/{org}/token", a.revokeToken)
	mux.HandleFunc("GET /api/organizations/{org}/audit", a.audit)
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, a.fail)
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, a.log, err)
}

// profileJSON is an organization's public profile.
type profileJSON struct {
	Name        string    `json:"name"`
	Fullname    string    `json:"fullname"`
	Description string    `json:"description"`
	AvatarURL   string    `json:"avatarUrl"`
	Links       []string  `json:"links"`
	CreatedAt   time.Time `json:"createdAt"`
}

func profile(o org.Org) profileJSON {
	links := o.Links
	if links == nil {
		links = []string{}
	}
	return profileJSON{Name: o.Name, Fullname: o.Fullname, Description: o.Description, AvatarURL: o.AvatarURL,
		Links: links, CreatedAt: o.CreatedAt}
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	var in org.CreateInput
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	o, err := a.svc.Create(r.Context(), principal.From(r.Context()), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusCreated, profile(o))
}

func (a *api) get(w http.ResponseWriter, r *http.Request) {
	o, err := a.svc.Get(r.Context(), r.PathValue("org"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, profile(o))
}

func (a *api) updateProfile(w http.ResponseWriter, r *http.Request) {
	var in org.ProfileInput
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	o, err := a.svc.UpdateProfile(r.Context(), principal.From(r.Context()), r.PathValue("org"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, profile(o))
}

type memberJSON struct {
	User     string    `json:"user"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
}

func (a *api) members(w http.ResponseWriter, r *http.Request) {
	list, err := a.svc.Members(r.Context(), principal.From(r.Context()), r.PathValue("org"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]memberJSON, 0, len(list))
	for _, m := range list {
		out = append(out, memberJSON{User: m.User, Role: string(m.Role), JoinedAt: m.JoinedAt})
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (a *api) setMember(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Role *string `json:"role"`
	}
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	var role string
	if in.Role != nil {
		role = *in.Role
	}
	parsed, err := org.ParseRole(role)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	m, err := a.svc.SetRole(r.Context(), principal.From(r.Context()), r.PathValue("org"), r.PathValue("username"), parsed)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, memberJSON{User: m.User, Role: string(m.Role), JoinedAt: m.JoinedAt})
}

func (a *api) removeMember(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.RemoveMember(r.Context(), principal.From(r.Context()), r.PathValue("org"), r.PathValue("username")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) settings(w http.ResponseWriter, r *http.Request) {
	s, err := a.svc.Settings(r.Context(), principal.From(r.Context()), r.PathValue("org"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, s)
}

func (a *api) updateSettings(w http.ResponseWriter, r *http.Request) {
	var in org.SettingsInput
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	s, err := a.svc.UpdateSettings(r.Context(), principal.From(r.Context()), r.PathValue("org"), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, s)
}

type tokenJSON struct {
	Token     string    `json:"token,omitempty"` // only in the refresh answer
	Hint      string    `json:"hint"`
	CreatedAt time.Time `json:"createdAt"`
}

func (a *api) token(w http.ResponseWriter, r *http.Request) {
	t, err := a.svc.Token(r.Context(), principal.From(r.Context()), r.PathValue("org"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, tokenJSON{Hint: t.Hint, CreatedAt: t.CreatedAt})
}

func (a *api) refreshToken(w http.ResponseWriter, r *http.Request) {
	secret, t, err := a.svc.RefreshToken(r.Context(), principal.From(r.Context()), r.PathValue("org"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, http.StatusOK, tokenJSON{Token: secret.Reveal(), Hint: t.Hint, CreatedAt: t.CreatedAt})
}

func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.RevokeToken(r.Context(), principal.From(r.Context()), r.PathValue("org")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) audit(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := audithttp.Query(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	events, next, err := a.svc.AuditLog(r.Context(), principal.From(r.Context()), r.PathValue("org"), limit, cursor)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	audithttp.Write(w, events, next)
}
