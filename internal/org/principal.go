package org

import (
	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/apperr"
	"github.com/hubsec/trustlayer/internal/identity"
)

// Principal turns a caller into the principal access.Decide expects. roles
// must be the caller's organization roles loaded for this request (org name,
// canonical spelling, to role); they are ignored for org tokens and
// anonymous callers.
func Principal(c identity.Caller, roles map[string]access.OrgRole) access.Principal {
	var p access.Principal
	switch c.Kind {
	case access.KindSession:
		p = access.Session(c.Username, roles)
	case access.KindUserToken:
		p = access.UserToken(c.Username, c.Role, roles)
	case access.KindOrgToken:
		p = access.OrgToken(c.Org)
	default:
		p = access.Anonymous()
	}
	p.UserID = c.UserID
	return p
}

// IsUser reports whether c acts for a user (a session or a user token).
func IsUser(c identity.Caller) bool {
	return (c.Kind == access.KindSession || c.Kind == access.KindUserToken) && c.Username != ""
}

// Denied turns a denial of access.Decide into an error of the matching kind,
// carrying the decision's reason.
func Denied(d access.Decision) error {
	kind := apperr.Internal
	switch d.Status {
	case 401:
		kind = apperr.Unauthenticated
	case 403:
		kind = apperr.Permission
	case 404:
		kind = apperr.NotExist
	}
	return apperr.E(kind, "%s", d.Reason)
}
