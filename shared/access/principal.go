package access

import "strings"

// PrincipalKind says how a request authenticated.
type PrincipalKind uint8

// The kinds of principal. The zero value is Anonymous.
const (
	KindAnonymous PrincipalKind = iota // no credentials
	KindSession                        // logged-in browser session: the user's full rights
	KindUserToken                      // user access token (hf_), role read or write
	KindOrgToken                       // organization API token (api_org_)
)

// String returns the kind's name as used in docs/permissions.md.
func (k PrincipalKind) String() string {
	switch k {
	case KindAnonymous:
		return "anonymous"
	case KindSession:
		return "session"
	case KindUserToken:
		return "user token"
	case KindOrgToken:
		return "org token"
	}
	return "invalid"
}

// TokenRole is the role of a user access token.
type TokenRole string

// Token roles.
const (
	TokenRead  TokenRole = "read"
	TokenWrite TokenRole = "write"
)

// OrgRole is a user's role in an organization.
type OrgRole string

// Organization roles, weakest first. Any other value, "" included, counts as
// no membership.
const (
	RoleRead  OrgRole = "read"
	RoleWrite OrgRole = "write"
	RoleAdmin OrgRole = "admin"
	// RoleContributor reads like read, creates repositories in the
	// organization and writes only to those it created.
	RoleContributor OrgRole = "contributor"
)

// OrgRoles returns every organization role, weakest first.
func OrgRoles() []OrgRole { return []OrgRole{RoleRead, RoleContributor, RoleWrite, RoleAdmin} }

// Principal is who is asking. Orgs must be the user's memberships loaded for
// this request, never a copy cached with the token.
type Principal struct {
	Kind   PrincipalKind
	User   string             // user name (session, user token); matches repo namespaces
	UserID string             // user id: audit, and the contributor role (repositories it created)
	Role   TokenRole          // user token only
	Org    string             // org token only: the organization it acts for
	Orgs   map[string]OrgRole // org name -> role of User, session and user token only
	Grant  *Grant             // fine-grained user token only
}

// Anonymous returns the principal of a request without credentials.
func Anonymous() Principal { return Principal{} }

// Session returns the principal of a logged-in browser session of user.
func Session(user string, orgs map[string]OrgRole) Principal {
	return Principal{Kind: KindSession, User: user, Orgs: orgs}
}

// UserToken returns the principal of a user access token with the given role.
func UserToken(user string, role TokenRole, orgs map[string]OrgRole) Principal {
	return Principal{Kind: KindUserToken, User: user, Role: role, Orgs: orgs}
}

// FineGrainedToken returns the principal of a fine-grained user access
// token: at most what user may do now, narrowed by g.
func FineGrainedToken(user, userID string, g *Grant, orgs map[string]OrgRole) Principal {
	return Principal{Kind: KindUserToken, User: user, UserID: userID, Role: TokenFineGrained, Grant: g, Orgs: orgs}
}

// OrgToken returns the principal of the API token of organization org.
func OrgToken(org string) Principal { return Principal{Kind: KindOrgToken, Org: org} }

// valid reports whether p is complete enough to decide on.
func (p Principal) valid() bool {
	switch p.Kind {
	case KindAnonymous:
		return true
	case KindSession:
		return p.User != ""
	case KindUserToken:
		return p.User != "" && (p.Role == TokenRead || p.Role == TokenWrite || (p.Role == TokenFineGrained && p.Grant != nil))
	case KindOrgToken:
		return p.Org != ""
	}
	return false
}

// isUser reports whether p acts for a user (session or user token).
func (p Principal) isUser() bool { return p.Kind == KindSession || p.Kind == KindUserToken }

// canWrite reports whether p's credential may write at all (a
// fine-grained token may, within its grant).
func (p Principal) canWrite() bool {
	return p.Kind == KindSession || (p.Kind == KindUserToken && (p.Role == TokenWrite || p.Role == TokenFineGrained))
}

// fineGrained reports whether p is a fine-grained token.
func (p Principal) fineGrained() bool { return p.Kind == KindUserToken && p.Role == TokenFineGrained }

// role returns p's role in org, or "" if p is not a user member of it.
func (p Principal) role(org string) OrgRole {
	if !p.isUser() {
		return ""
	}
	switch r := p.Orgs[org]; r {
	case RoleRead, RoleContributor, RoleWrite, RoleAdmin:
		return r
	}
	return ""
}

// Caller is who makes a request, as the authorizer resolved it and the
// functions behind it receive it.
type Caller struct {
	Kind     PrincipalKind
	UserID   string
	Username string
	TokenID  string
	Role     TokenRole
	Org      string // org tokens
	Grant    *Grant // fine-grained tokens
	SourceIP string
	// Repo is what the authorizer read, for this request, of the
	// repository the route names and of the caller's role in its owner
	// organization; nil when it read none. A function behind the
	// authorizer decides with it instead of reading them again.
	Repo *Established
}

// Established is the authorizer's reading of a request's repository.
type Established struct {
	Type  RepoType
	Facts RepoFacts // Namespace and Name in their canonical spelling
	// Role is the caller's role in the owning organization ("" for none,
	// or when the owner is a user).
	Role OrgRole
}

// Names reports whether e is the reading of repository typ ns/name (names
// compared as the store keys them, letter case ignored).
func (e *Established) Names(typ RepoType, ns, name string) bool {
	return e != nil && e.Type == typ && e.Facts.Namespace != "" && e.Facts.Name != "" &&
		strings.ToLower(e.Facts.Namespace) == strings.ToLower(ns) && strings.ToLower(e.Facts.Name) == strings.ToLower(name)
}

// IsUser reports whether c acts for a user (a session or a user token).
func (c Caller) IsUser() bool {
	return (c.Kind == KindSession || c.Kind == KindUserToken) && c.Username != ""
}

// Principal turns a caller into the principal Decide expects. roles must be
// the caller's organization roles loaded for this request (org name,
// canonical spelling, to role); they are ignored for org tokens and
// anonymous callers.
func (c Caller) Principal(roles map[string]OrgRole) Principal {
	var p Principal
	switch c.Kind {
	case KindSession:
		p = Session(c.Username, roles)
	case KindUserToken:
		p = UserToken(c.Username, c.Role, roles)
		p.Grant = c.Grant
	case KindOrgToken:
		p = OrgToken(c.Org)
	default:
		p = Anonymous()
	}
	p.UserID = c.UserID
	return p
}
