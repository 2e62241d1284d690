package access

import (
	"fmt"
	"strings"
)

// TokenFineGrained is the role of a fine-grained user access token: its
// rights are its Grant, intersected with its owner's rights at the moment
// of each request.
const TokenFineGrained TokenRole = "fineGrained"

// Permission is a right a fine-grained token may be granted, with the Hub's
// names. Managing tokens, keys, emails and members is not among them: it
// needs a logged-in session.
type Permission string

// Permissions a fine-grained token may hold.
const (
	// PermRepoContentRead: read the files of a repository (clone, download,
	// LFS download, verification results).
	PermRepoContentRead Permission = "repo.content.read"
	// PermRepoWrite: push, upload, change settings, delete, rename or
	// transfer a repository; create repositories in a user namespace.
	PermRepoWrite Permission = "repo.write"
	// PermRepoAccessRead: see that a private repository exists and its
	// settings, without its files.
	PermRepoAccessRead Permission = "repo.access.read"
	// PermInference: call the Inference API.
	PermInference Permission = "inference.serverless.write"
	// PermOrgRead: see an organization's members and settings.
	PermOrgRead Permission = "org.read"
	// PermOrgWrite: create repositories in an organization.
	PermOrgWrite Permission = "org.write"
)

// AllPermissions returns every permission, in documentation order.
func AllPermissions() []Permission {
	return []Permission{PermRepoContentRead, PermRepoWrite, PermRepoAccessRead, PermInference, PermOrgRead, PermOrgWrite}
}

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return p.bit() != 0 }

// GlobalPermission reports whether p may be granted globally, outside any
// scope: only the Inference API, as on the Hub. Repository and
// organization rights are always scoped.
func (p Permission) GlobalPermission() bool { return p == PermInference }

type permBits uint8

func (p Permission) bit() permBits {
	switch p {
	case PermRepoContentRead:
		return 1 << 0
	case PermRepoWrite:
		return 1 << 1
	case PermRepoAccessRead:
		return 1 << 2
	case PermInference:
		return 1 << 3
	case PermOrgRead:
		return 1 << 4
	case PermOrgWrite:
		return 1 << 5
	}
	return 0
}

func bitsOf(ps []Permission) permBits {
	var b permBits
	for _, p := range ps {
		b |= p.bit()
	}
	return b
}

// EntityType is what a scope of a fine-grained token applies to.
type EntityType string

// Entity types. A user or org scope covers every repository of that
// namespace, present and future; a repository scope covers one repository,
// bound to its id so that it survives a rename.
const (
	EntityUser    EntityType = "user"
	EntityOrg     EntityType = "org"
	EntityModel   EntityType = "model"
	EntityDataset EntityType = "dataset"
	EntitySpace   EntityType = "space"
)

// IsRepo reports whether t names a repository type.
func (t EntityType) IsRepo() bool { return t == EntityModel || t == EntityDataset || t == EntitySpace }

// Valid reports whether t is a known entity type.
func (t EntityType) Valid() bool { return t == EntityUser || t == EntityOrg || t.IsRepo() }

// Scope is one entity of a grant with the permissions granted on it.
type Scope struct {
	Type EntityType
	// ID is the user, organization or repository id.
	ID string
	// Name is the user or organization name (what namespace scopes match
	// on), or a repository's "namespace/name" when the grant was made
	// (repository scopes match on ID only; shown names are looked up).
	Name        string
	Permissions []Permission
	// Pending: the organization this scope touches requires an admin's
	// approval of new tokens, not given yet. PendingOrg names it.
	PendingOrg string
}

// Grant is what a fine-grained token may do. It rides on the token's
// lookup item, so the decision needs no extra read.
type Grant struct {
	Global            []Permission
	Scoped            []Scope
	CanReadGatedRepos bool
	// Pending lists the organizations that were asked to approve the token
	// and have not (a request waits, or was denied); the token is refused
	// on their resources until they approve, whatever their policy now.
	Pending []string
	// Approved lists the organizations whose admins approved the token.
	// Whether a token needs an approval is decided at each request from
	// the policy of the organization that owns the resource then
	// (invariant 9): a token made for one's own repository needs one
	// after that repository moves into an organization that requires it.
	Approved []string
}

// HasOrg reports whether list names org (letter case ignored).
func HasOrg(list []string, org string) bool {
	for _, o := range list {
		if strings.EqualFold(o, org) {
			return true
		}
	}
	return false
}

// PendingIn reports whether the grant waits for org's approval on a
// resource whose owner organization has the policy policy now: org was
// asked and has not approved, or org requires approval and has not given
// it. This is the one rule of invariant 9.
func (g *Grant) PendingIn(org string, policy TokenPolicy) bool {
	if org == "" || g == nil || HasOrg(g.Approved, org) {
		return false
	}
	return HasOrg(g.Pending, org) || policy == PolicyRequireApproval
}

// bitsFor returns the permissions g holds on r: global ones, those of a
// scope on r's namespace (user or org) and, for a repository, those of a
// scope bound to its id. A private repository covered by no scope stays
// invisible to the token even with a global permission.
func (g *Grant) bitsFor(r Resource) permBits { return bitsOf(g.Global) | g.scopedBits(r) }

// scopedBits is bitsFor without the global permissions.
func (g *Grant) scopedBits(r Resource) permBits {
	var b permBits
	for i := range g.Scoped {
		s := &g.Scoped[i]
		var hit bool
		switch s.Type {
		case EntityUser:
			hit = r.Owner == OwnerUser && s.Name == r.Namespace
		case EntityOrg:
			hit = (r.Owner == OwnerOrg || r.Kind == ResourceOrg) && s.Name == r.Namespace
		default:
			hit = r.Kind == ResourceRepo && r.ID != "" && s.ID == r.ID && string(s.Type) == string(r.Type)
		}
		if hit {
			b |= bitsOf(s.Permissions)
		}
	}
	return b
}

// Entity returns how a denial names r: "model alice/tiny-llm", "org acme",
// "user alice".
func (r Resource) Entity() string {
	switch r.Kind {
	case ResourceRepo:
		t := r.Type
		if t == "" {
			t = RepoModel
		}
		return fmt.Sprintf("%s %s/%s", t, r.Namespace, r.Name)
	case ResourceOrg:
		return "org " + r.Namespace
	case ResourceNamespace:
		if r.Owner == OwnerOrg {
			return "org " + r.Namespace
		}
		return "user " + r.Namespace
	}
	return "your account"
}

// MissingPermission is the reason of a denial for want of perm on r.
func MissingPermission(perm Permission, r Resource) string {
	return fmt.Sprintf("This token is missing the permission %s on %s", perm, r.Entity())
}

// decideGrant narrows an owner's allowed decision by a fine-grained
// token's grant. The owner may do a to r (checked before).
func decideGrant(p Principal, a Action, r Resource) Decision {
	g := p.Grant
	if g == nil {
		return forbid("This fine-grained token has no grant.")
	}
	switch a {
	case AccountRead:
		return allow
	case AccountTokens, AccountSettings, OrgTokens:
		return sessionOnly
	case OrgAdmin:
		return forbid("Managing an organization's profile and members needs a logged-in session; no token permission grants it.")
	case OrgCreate:
		return forbid("Creating an organization needs a logged-in session; no token permission grants it.")
	}
	org := ""
	if r.Kind == ResourceOrg || r.Owner == OwnerOrg {
		org = r.Namespace
	}
	have := g.bitsFor(r)
	var need Permission
	switch a {
	case RepoRead:
		need = PermRepoContentRead
	case Inference:
		need = PermInference
	case RepoWrite, RepoSettings, RepoDelete, RepoMove:
		need = PermRepoWrite
		if a == RepoMove && r.Kind == ResourceNamespace && r.Owner == OwnerOrg {
			need = PermOrgWrite
		}
	case RepoCreate:
		need = PermRepoWrite
		if r.Owner == OwnerOrg {
			need = PermOrgWrite
		}
	case OrgRead:
		need = PermOrgRead
		if have&PermOrgWrite.bit() != 0 {
			have |= PermOrgRead.bit()
		}
	default:
		return invalid
	}
	// A private repository the token has no right on at all is as
	// invisible to it as to a stranger (a public one is readable by
	// anyone, so naming the missing permission reveals nothing).
	if r.Kind == ResourceRepo && r.Private && g.scopedBits(r) == 0 {
		return notFound
	}
	if r.Kind == ResourceRepo && !r.Private && a == RepoRead {
		return allow
	}
	if g.PendingIn(org, r.Policy) {
		d := forbid(fmt.Sprintf("This token is pending approval by the admins of org %s (or was denied)", org))
		d.PendingOrg = org
		return d
	}
	if have&need.bit() == 0 {
		return forbid(MissingPermission(need, r))
	}
	return allow
}
