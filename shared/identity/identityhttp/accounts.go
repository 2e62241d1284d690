// Package identityhttp is the HTTP face of the identity package: the
// accounts function (sign-up, email verification, login, whoami-v2, audit)
// and the tokens function (user access tokens, leaked-token revocation).
package identityhttp

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit/audithttp"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// OrgDirectory lists a user's organizations (implemented by the orgs store).
type OrgDirectory interface {
	OrgsOf(ctx context.Context, username string) ([]org.Membership, error)
}

type api struct {
	svc  *identity.Service
	log  *slog.Logger
	orgs OrgDirectory
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, a.log, err)
}

// Accounts returns the accounts function's handler. orgs may be nil.
func Accounts(svc *identity.Service, log *slog.Logger, orgs OrgDirectory) http.Handler {
	a := &api{svc: svc, log: log, orgs: orgs}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/signup", a.signup)
	mux.HandleFunc("POST /api/emails/verify", a.verifyEmail)
	mux.HandleFunc("POST /api/emails/resend", a.resendCode)
	mux.HandleFunc("POST /api/login", a.login)
	mux.HandleFunc("POST /api/logout", a.logout)
	mux.HandleFunc("GET /api/whoami-v2", a.whoami)
	mux.HandleFunc("GET /api/settings/emails", a.listEmails)
	mux.HandleFunc("POST /api/settings/emails", a.addEmail)
	mux.HandleFunc("GET /api/settings/audit", a.audit)
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, a.fail)
}

type userJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Fullname      string `json:"fullname"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"emailVerified"`
}

func (a *api) signup(w http.ResponseWriter, r *http.Request) {
	var in identity.SignupInput
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	u, e, err := a.svc.Signup(r.Context(), in, principal.From(r.Context()).SourceIP)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusCreated, userJSON{ID: u.ID, Name: u.Name, Fullname: u.Fullname, Email: e.Address, EmailVerified: false})
}

func (a *api) verifyEmail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
		Code  string `json:"code"`
	}
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.svc.VerifyEmail(r.Context(), in.Email, in.Code, principal.From(r.Context()).SourceIP); err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{"email": in.Email, "verified": true})
}

// resendCode answers 202 whether or not a code was sent, so it does not
// tell who holds an address.
func (a *api) resendCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.svc.ResendCode(r.Context(), in.Email, principal.From(r.Context()).SourceIP); err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusAccepted, map[string]any{"email": in.Email, "message": "If this address waits for verification, a new code is on its way"})
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	secret, sess, u, err := a.svc.Login(r.Context(), in.Username, in.Password, principal.From(r.Context()).SourceIP)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.JSON(w, http.StatusOK, map[string]any{
		"session": secret.Reveal(), "expiresAt": sess.ExpiresAt, "user": map[string]string{"id": u.ID, "name": u.Name},
	})
}

func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	if principal.From(r.Context()).Kind != access.KindSession {
		a.fail(w, r, apperr.E(apperr.Unauthenticated, "Logout needs a session credential"))
		return
	}
	if err := a.svc.Logout(r.Context(), bearer(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) whoami(w http.ResponseWriter, r *http.Request) {
	c := principal.From(r.Context())
	if c.Kind == access.KindAnonymous {
		a.fail(w, r, identity.ErrBadCredential)
		return
	}
	if c.Kind == access.KindOrgToken {
		httpapi.JSON(w, http.StatusOK, map[string]any{
			"type": "org", "name": c.Org, "auth": map[string]any{"type": "access_token", "accessToken": map[string]any{"displayName": "org token", "role": "read"}},
		})
		return
	}
	out, err := a.svc.Whoami(r.Context(), c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	orgs := []org.Membership{}
	if a.orgs != nil {
		list, err := a.orgs.OrgsOf(r.Context(), c.Username)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		orgs = append(orgs, list...)
	}
	type orgJSON struct {
		Type     string `json:"type"`
		ID       string `json:"id"`
		Name     string `json:"name"`
		Fullname string `json:"fullname"`
		Role     string `json:"roleInOrg"`
	}
	orgOut := make([]orgJSON, 0, len(orgs))
	for _, o := range orgs {
		orgOut = append(orgOut, orgJSON{Type: "org", ID: o.OrgID, Name: o.Org, Fullname: o.Fullname, Role: string(o.Role)})
	}
	auth := map[string]any{"type": "session"}
	if out.Token != nil {
		at := map[string]any{"displayName": out.Token.Name, "role": string(out.Token.Role), "createdAt": out.Token.CreatedAt}
		if out.Token.Grant != nil {
			g, err := a.svc.ShownGrant(r.Context(), out.Token.Grant)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			at["fineGrained"] = toFineGrainedJSON(g)
		}
		auth = map[string]any{"type": "access_token", "accessToken": at}
		if !out.Token.ExpiresAt.IsZero() {
			auth["expiresAt"] = out.Token.ExpiresAt
		}
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{
		"type": "user", "id": out.User.ID, "name": out.User.Name, "fullname": out.User.Fullname,
		"email": out.PrimaryEmail, "emailVerified": out.EmailVerified, "canPay": false, "isPro": false,
		"avatarUrl": "", "periodEnd": nil, "orgs": orgOut, "auth": auth,
	})
}

func (a *api) listEmails(w http.ResponseWriter, r *http.Request) {
	emails, err := a.svc.Emails(r.Context(), principal.From(r.Context()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	type emailJSON struct {
		Email    string    `json:"email"`
		Verified bool      `json:"verified"`
		Primary  bool      `json:"primary"`
		AddedAt  time.Time `json:"addedAt"`
	}
	out := make([]emailJSON, 0, len(emails))
	for _, e := range emails {
		out = append(out, emailJSON{e.Address, e.Verified, e.Primary, e.AddedAt})
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (a *api) addEmail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := httpapi.Decode(r, &in, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	e, err := a.svc.AddEmail(r.Context(), principal.From(r.Context()), in.Email)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusCreated, map[string]any{"email": e.Address, "verified": false})
}

func (a *api) audit(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := audithttp.Query(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	events, next, err := a.svc.Audit(r.Context(), principal.From(r.Context()), limit, cursor)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	audithttp.Write(w, events, next)
}
