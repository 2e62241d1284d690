package web

import (
	"net/http"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/token"
)

type tokensData struct {
	Tokens    []tokenRow
	Name      string
	Role      string
	Scopes    []scopeForm
	Inference bool
	Expires   string // YYYY-MM-DD, as typed
}

// revealData is the page that shows a secret, once.
type revealData struct {
	Token  identity.Token
	Secret string
	Action string // "created" or "refreshed"
	// GitScheme is "HTTP" or "HTTPS", as the configured public URL says.
	GitScheme string
}

func (s *Site) tokens(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	s.showTokens(w, r, c, tokensData{Role: "read", Scopes: emptyScopes()}, nil)
}

// showTokens shows the token list with the New token form filled as d,
// and the error of a refused form.
func (s *Site) showTokens(w http.ResponseWriter, r *http.Request, c access.Caller, d tokensData, formErr error) {
	list, err := s.svc.Identity.ListTokens(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Tokens, err = s.tokenRows(r.Context(), list); err != nil {
		s.fail(w, r, err)
		return
	}
	if formErr != nil {
		s.formError(w, r, "tokens", "Access Tokens", d, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "tokens", "Access Tokens", d, "")
}

func (s *Site) newToken(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	in, d, err := tokenForm(r)
	if err != nil {
		s.showTokens(w, r, c, d, err)
		return
	}
	t, secret, err := s.svc.Identity.CreateToken(r.Context(), c, in)
	if err != nil {
		s.showTokens(w, r, c, d, err)
		return
	}
	s.reveal(w, r, t, secret, "created")
}

// reveal answers the POST that made a secret with the one page that ever
// shows it; no-store keeps it out of every cache and the history's copy.
func (s *Site) reveal(w http.ResponseWriter, r *http.Request, t identity.Token, secret token.Secret, action string) {
	w.Header().Set("Cache-Control", "no-store, max-age=0")
	w.Header().Set("Pragma", "no-cache")
	// A refreshed token's grant as it stands now (pending decided now).
	if g, err := s.svc.Identity.ShownGrant(r.Context(), t.Grant); err == nil && g != nil {
		t.Grant = g
	}
	s.render(w, r, http.StatusOK, "reveal", "Your new token", revealData{Token: t, Secret: secret.Reveal(), Action: action, GitScheme: s.cfg.gitScheme()}, "")
}

func (s *Site) findToken(w http.ResponseWriter, r *http.Request, id string) (identity.Token, bool) {
	c, ok := s.caller(w, r)
	if !ok {
		return identity.Token{}, false
	}
	list, err := s.svc.Identity.ListTokens(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return identity.Token{}, false
	}
	for _, t := range list {
		if t.ID == id {
			return t, true
		}
	}
	s.fail(w, r, apperr.E(apperr.NotExist, "No such token: it may have been deleted"))
	return identity.Token{}, false
}

type manageData struct {
	Token   identity.Token
	Confirm bool // the delete confirmation step
}

func (s *Site) manageToken(w http.ResponseWriter, r *http.Request, p params) {
	t, ok := s.findToken(w, r, p["id"])
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "manage", "Manage "+t.Name, manageData{Token: t}, "")
}

func (s *Site) refreshToken(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	t, secret, err := s.svc.Identity.RefreshToken(r.Context(), c, p["id"])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reveal(w, r, t, secret, "refreshed")
}

// deleteToken asks first: the first POST shows the confirmation, the
// second (confirm=yes) deletes.
func (s *Site) deleteToken(w http.ResponseWriter, r *http.Request, p params) {
	t, ok := s.findToken(w, r, p["id"])
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.render(w, r, http.StatusOK, "manage", "Delete "+t.Name+"?", manageData{Token: t, Confirm: true}, "")
		return
	}
	c, _ := s.caller(w, r)
	if err := s.svc.Identity.DeleteToken(r.Context(), c, t.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	see(w, r, "/settings/tokens")
}
