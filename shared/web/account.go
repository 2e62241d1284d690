package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// handlers maps every web route of authz.Table to its page.
func (s *Site) handlers() map[string]handlerFunc {
	h := map[string]handlerFunc{
		"GET /join":                                             s.joinForm,
		"POST /join":                                            s.join,
		"GET /login":                                            s.loginForm,
		"POST /login":                                           s.login,
		"POST /logout":                                          s.logout,
		"GET /email/verify":                                     s.verifyForm,
		"POST /email/verify":                                    s.verify,
		"GET /settings/emails":                                  s.emails,
		"POST /settings/emails":                                 s.addEmail,
		"GET /settings/audit":                                   s.auditLog,
		"GET /settings/tokens":                                  s.tokens,
		"POST /settings/tokens":                                 s.newToken,
		"GET /settings/tokens/{id}":                             s.manageToken,
		"POST /settings/tokens/{id}/refresh":                    s.refreshToken,
		"POST /settings/tokens/{id}/delete":                     s.deleteToken,
		"GET /settings/gpg-keys":                                s.gpgKeys,
		"POST /settings/gpg-keys":                               s.addGPGKey,
		"POST /settings/gpg-keys/{id}/delete":                   s.deleteGPGKey,
		"GET /settings/ssh-keys":                                s.sshKeys,
		"POST /settings/ssh-keys":                               s.addSSHKey,
		"POST /settings/ssh-keys/{id}/delete":                   s.deleteSSHKey,
		"GET /organizations/new":                                s.newOrgForm,
		"POST /organizations/new":                               s.newOrg,
		"GET /organizations/{org}/settings/members":             s.members,
		"POST /organizations/{org}/settings/members":            s.invite,
		"POST /organizations/{org}/settings/members/{username}": s.setRole,
		"POST /organizations/{org}/settings/members/{username}/remove": s.removeMember,
		"POST /settings/emails/resend":                                 s.resendEmail,
		"GET /organizations/{org}/settings/tokens":                     s.orgTokens,
		"POST /organizations/{org}/settings/tokens":                    s.saveOrgPolicy,
		"POST /organizations/{org}/settings/tokens/{id}/approve":       s.resolveOrgToken(true),
		"POST /organizations/{org}/settings/tokens/{id}/deny":          s.resolveOrgToken(false),
		"POST /organizations/{org}/settings/tokens/revoke":             s.revokeOrgToken,
		"GET /static/{file}":                                           s.static,
		"GET /settings/model-signers":                                  s.modelSigners(false),
		"POST /settings/model-signers":                                 s.addModelSigner(false),
		"POST /settings/model-signers/{id}/delete":                     s.removeModelSigner(false),
		"GET /organizations/{org}/settings/model-signers":              s.modelSigners(true),
		"POST /organizations/{org}/settings/model-signers":             s.addModelSigner(true),
		"POST /organizations/{org}/settings/model-signers/{id}/delete": s.removeModelSigner(true),
		"GET /{namespace}":                                             s.namespace,
	}
	for _, prefix := range []string{"", "/datasets", "/spaces"} {
		typ, _ := authz.WebRepoType(prefix)
		base := prefix + "/{namespace}/{name}"
		h["GET "+base] = s.repoPage(typ)
		h["GET "+base+"/settings"] = s.repoSettings(typ)
		h["POST "+base+"/settings"] = s.saveRepoSettings(typ)
		h["GET "+base+"/commits/{rev}"] = s.commits(typ)
		h["GET "+base+"/blob/{rev}/{path+}"] = s.blob(typ)
		h["GET "+base+"/tree/{rev}"] = s.treePage(typ)
		h["GET "+base+"/tree/{rev}/{path+}"] = s.treePage(typ)
		h["GET "+base+"/signature/{rev}"] = s.signaturePage(typ)
	}
	return h
}

// formError shows page again with the error of a refused form, keeping
// what the user typed (data).
func (s *Site) formError(w http.ResponseWriter, r *http.Request, page, title string, data any, err error) {
	status := httpapi.Status(apperr.KindOf(err))
	if status >= 500 {
		s.fail(w, r, err)
		return
	}
	s.show(w, r, status, page, view{Title: title, Data: data, Error: apperr.Public(err)})
}

type accountForm struct {
	Username, Email string
	Verified        bool
}

func (s *Site) joinForm(w http.ResponseWriter, r *http.Request, _ params) {
	s.render(w, r, http.StatusOK, "join", "Sign up", accountForm{}, "")
}

func (s *Site) join(w http.ResponseWriter, r *http.Request, _ params) {
	in := identity.SignupInput{Username: strings.TrimSpace(r.PostFormValue("username")),
		Email: strings.TrimSpace(r.PostFormValue("email")), Password: r.PostFormValue("password")}
	_, em, err := s.svc.Identity.Signup(r.Context(), in, principal.From(r.Context()).SourceIP)
	if err != nil {
		s.formError(w, r, "join", "Sign up", accountForm{Username: in.Username, Email: in.Email}, err)
		return
	}
	s.render(w, r, http.StatusOK, "verify", "Verify your email", accountForm{Email: em.Address},
		"Account created. We sent a verification code to "+em.Address+".")
}

func (s *Site) verifyForm(w http.ResponseWriter, r *http.Request, _ params) {
	s.render(w, r, http.StatusOK, "verify", "Verify your email", accountForm{}, "")
}

func (s *Site) verify(w http.ResponseWriter, r *http.Request, _ params) {
	addr := strings.TrimSpace(r.PostFormValue("email"))
	if r.PostFormValue("resend") != "" {
		// The same answer whether or not the address awaits a code, as
		// POST /api/emails/resend: the page reveals no account.
		if err := s.svc.Identity.ResendCode(r.Context(), addr, principal.From(r.Context()).SourceIP); err != nil {
			s.formError(w, r, "verify", "Verify your email", accountForm{Email: addr}, err)
			return
		}
		s.render(w, r, http.StatusOK, "verify", "Verify your email", accountForm{Email: addr},
			"If "+addr+" awaits verification, a new code is on its way; earlier codes no longer work.")
		return
	}
	err := s.svc.Identity.VerifyEmail(r.Context(), addr, strings.TrimSpace(r.PostFormValue("code")), principal.From(r.Context()).SourceIP)
	if err != nil {
		s.formError(w, r, "verify", "Verify your email", accountForm{Email: addr}, err)
		return
	}
	s.render(w, r, http.StatusOK, "verify", "Email verified", accountForm{Email: addr, Verified: true}, addr+" is verified.")
}

func (s *Site) loginForm(w http.ResponseWriter, r *http.Request, _ params) {
	s.render(w, r, http.StatusOK, "login", "Log in", accountForm{}, "")
}

func (s *Site) login(w http.ResponseWriter, r *http.Request, _ params) {
	name := strings.TrimSpace(r.PostFormValue("username"))
	secret, sess, _, err := s.svc.Identity.Login(r.Context(), name, r.PostFormValue("password"), principal.From(r.Context()).SourceIP)
	if err != nil {
		s.formError(w, r, "login", "Log in", accountForm{Username: name}, err)
		return
	}
	maxAge := int(identity.SessionLifetime.Seconds())
	if !sess.ExpiresAt.IsZero() {
		if d := int(sess.ExpiresAt.Sub(sess.CreatedAt).Seconds()); d > 0 {
			maxAge = d
		}
	}
	http.SetCookie(w, s.cookie(authz.SessionCookie, secret.Reveal(), maxAge))
	http.SetCookie(w, s.cookie(preSessionCookie, "", -1))
	see(w, r, "/settings/tokens")
}

func (s *Site) logout(w http.ResponseWriter, r *http.Request, _ params) {
	if c, err := r.Cookie(authz.SessionCookie); err == nil && c.Value != "" {
		if err := s.svc.Identity.Logout(r.Context(), c.Value); err != nil && !isKind(err, apperr.Unauthenticated) {
			s.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.cookie(authz.SessionCookie, "", -1))
	see(w, r, "/login")
}

type emailsData struct {
	Emails []identity.Email
	Added  string
}

func (s *Site) emails(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	s.showEmails(w, r, c, "", nil)
}

func (s *Site) showEmails(w http.ResponseWriter, r *http.Request, c access.Caller, flash string, formErr error) {
	list, err := s.svc.Identity.Emails(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if formErr != nil {
		s.formError(w, r, "emails", "Emails", emailsData{Emails: list}, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "emails", "Emails", emailsData{Emails: list}, flash)
}

func (s *Site) addEmail(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	em, err := s.svc.Identity.AddEmail(r.Context(), c, strings.TrimSpace(r.PostFormValue("email")))
	if err != nil {
		s.showEmails(w, r, c, "", err)
		return
	}
	s.showEmails(w, r, c, "We sent a verification code to "+em.Address+": enter it on the Verify email page.", nil)
}

// resendEmail mails a new code to one of the caller's unverified
// addresses. The service answers alike whatever the address (it needs no
// credential), so the page checks the address is the caller's first.
func (s *Site) resendEmail(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	addr := strings.TrimSpace(r.PostFormValue("email"))
	list, err := s.svc.Identity.Emails(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var mine *identity.Email
	for i := range list {
		if strings.EqualFold(list[i].Address, addr) {
			mine = &list[i]
		}
	}
	switch {
	case mine == nil:
		err = apperr.E(apperr.NotExist, "%q is not one of your emails", addr)
	case mine.Verified:
		err = apperr.E(apperr.Invalid, "%s is already verified", mine.Address)
	case mine.Lapsed(time.Now()):
		err = apperr.E(apperr.Invalid, "%s was not verified in time and is no longer held for you: add it again", mine.Address)
	default:
		err = s.svc.Identity.ResendCode(r.Context(), mine.Address, c.SourceIP)
	}
	if err != nil {
		s.showEmails(w, r, c, "", err)
		return
	}
	s.showEmails(w, r, c, "We sent a new verification code to "+mine.Address+": enter it on the Verify email page.", nil)
}

func (s *Site) auditLog(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	evs, _, err := s.svc.Identity.Audit(r.Context(), c, 100, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", "Audit log", evs, "")
}
