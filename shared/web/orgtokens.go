package web

import (
	"net/http"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/org"
)

// tokenPolicies are the organization token policies, in the form's order.
func tokenPolicies() []access.TokenPolicy {
	return []access.TokenPolicy{access.PolicyAllowAll, access.PolicyFineGrainedOnly, access.PolicyRequireApproval}
}

type orgTokensData struct {
	Org     string
	Policy  access.TokenPolicy
	Pending []identity.Approval
	Revoke  bool // the revoke form was refused
}

// orgTokens is an organization's token page for its admins: the token
// policy, the members' tokens waiting for approval, and the form that
// revokes a member's token scoped to the organization.
func (s *Site) orgTokens(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	s.showOrgTokens(w, r, c, p["org"], "", orgTokensData{}, nil)
}

func (s *Site) showOrgTokens(w http.ResponseWriter, r *http.Request, c access.Caller, name, flash string, d orgTokensData, formErr error) {
	// PendingTokens is the admin check (org.tokens): members and
	// strangers get the API's answer.
	pending, err := s.svc.Identity.PendingTokens(r.Context(), c, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, err := s.svc.Orgs.Settings(r.Context(), c, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Org, d.Pending, d.Policy = name, pending, set.TokenPolicy
	title := name + " tokens"
	if formErr != nil {
		s.formError(w, r, "orgtokens", title, d, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "orgtokens", title, d, flash)
}

func (s *Site) saveOrgPolicy(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	pol := access.TokenPolicy(r.PostFormValue("policy"))
	set, err := s.svc.Orgs.UpdateSettings(r.Context(), c, p["org"], org.SettingsInput{TokenPolicy: &pol})
	if err != nil {
		s.showOrgTokens(w, r, c, p["org"], "", orgTokensData{}, err)
		return
	}
	s.showOrgTokens(w, r, c, p["org"], "Token policy saved: "+string(set.TokenPolicy)+".", orgTokensData{}, nil)
}

func (s *Site) resolveOrgToken(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p params) {
		c, ok := s.caller(w, r)
		if !ok {
			return
		}
		if err := s.svc.Identity.ResolveToken(r.Context(), c, p["org"], p["id"], approve); err != nil {
			s.showOrgTokens(w, r, c, p["org"], "", orgTokensData{}, err)
			return
		}
		msg := "Token approved: it now works on " + p["org"] + "'s resources."
		if !approve {
			msg = "Token denied: it stays refused on " + p["org"] + "'s resources."
		}
		s.showOrgTokens(w, r, c, p["org"], msg, orgTokensData{}, nil)
	}
}

// revokeOrgToken revokes a member's token scoped to the organization,
// given its secret (in the POST body, never in a URL).
func (s *Site) revokeOrgToken(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	if err := s.svc.Identity.RevokeForOrg(r.Context(), c, p["org"], strings.TrimSpace(r.PostFormValue("token"))); err != nil {
		s.showOrgTokens(w, r, c, p["org"], "", orgTokensData{Revoke: true}, err)
		return
	}
	s.showOrgTokens(w, r, c, p["org"], "The token was revoked; its owner can no longer use it.", orgTokensData{}, nil)
}
