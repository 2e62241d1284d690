package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// Limits of a fine-grained grant.
const (
	MaxGrantScopes      = 100
	MaxScopePermissions = 16
)

// FineGrainedInput is the fineGrained block of a token creation request,
// in the Hub's shape.
type FineGrainedInput struct {
	Global            []string     `json:"global,omitempty"`
	Scoped            []ScopeInput `json:"scoped"`
	CanReadGatedRepos bool         `json:"canReadGatedRepos,omitempty"`
}

// ScopeInput is one scope of a FineGrainedInput.
type ScopeInput struct {
	Entity      EntityInput `json:"entity"`
	Permissions []string    `json:"permissions"`
}

// EntityInput names a scope's entity: a user or org name, or a
// repository's "namespace/name".
type EntityInput struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// Entity is a grant's entity as its store knows it now.
type Entity struct {
	ID   string
	Name string // canonical: user or org name, or "namespace/name"
	// Resource is what the creator's rights are decided on: the
	// repository, or the user or org namespace.
	Resource access.Resource
	// Roles are the creator's roles in the organization that owns the
	// entity (loaded now).
	Roles map[string]access.OrgRole
	// Org is the organization the entity belongs to ("" for a user's), and
	// Policy its token policy.
	Org    string
	Policy access.TokenPolicy
}

// Entities resolves the entities of grants (authz.Entities over the org
// and repository stores).
type Entities interface {
	// Entity resolves a user, org or repository by name for creator; a
	// missing one is store.ErrNotFound.
	Entity(ctx context.Context, creator access.Caller, typ access.EntityType, name string) (Entity, error)
	// RepoName returns the current "namespace/name" of a repository id;
	// found is false when it is gone.
	RepoName(ctx context.Context, id string) (name string, found bool, err error)
	// OrgTokenPolicy reads an organization's token policy now, as the
	// authorizer does; "" (allow all) for a name that is no organization.
	OrgTokenPolicy(ctx context.Context, org string) (access.TokenPolicy, error)
}

// probe is the action a permission needs of its creator on an entity: you
// cannot grant what you do not have.
func probe(p access.Permission, e Entity) (access.Action, access.Resource) {
	r := e.Resource
	switch p {
	case access.PermRepoWrite:
		if r.Kind == access.ResourceRepo {
			return access.RepoWrite, r
		}
		return access.RepoCreate, r
	case access.PermOrgRead:
		return access.OrgRead, access.Org(e.Org)
	case access.PermOrgWrite:
		return access.RepoCreate, r
	}
	if r.Kind == access.ResourceRepo {
		return access.RepoRead, r
	}
	if e.Org != "" {
		return access.OrgRead, access.Org(e.Org)
	}
	return access.RepoCreate, r // a user's own namespace
}

func parsePermissions(where string, in []string) ([]access.Permission, error) {
	if len(in) > MaxScopePermissions {
		return nil, apperr.E(apperr.Invalid, "%s: at most %d permissions", where, MaxScopePermissions)
	}
	out := make([]access.Permission, 0, len(in))
	seen := map[access.Permission]bool{}
	for _, s := range in {
		p := access.Permission(s)
		if !p.Valid() {
			return nil, apperr.E(apperr.Invalid, "%s: unknown permission %q (known: %s)", where, s, knownPermissions())
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

func knownPermissions() string {
	var names []string
	for _, p := range access.AllPermissions() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// resolveGrant checks a fine-grained request and binds its scopes to the
// entities' ids. It refuses unknown permissions, empty scopes, entities
// that do not exist or that the creator cannot see, and permissions beyond
// the creator's own rights. Orgs requiring approval are listed as pending.
func (s *Service) resolveGrant(ctx context.Context, c access.Caller, in *FineGrainedInput) (*access.Grant, error) {
	if in == nil {
		return nil, apperr.E(apperr.Invalid, "role \"fineGrained\" needs a fineGrained block with scoped permissions")
	}
	if s.Entities == nil {
		return nil, apperr.E(apperr.Unavailable, "Fine-grained tokens are not available here")
	}
	g := &access.Grant{CanReadGatedRepos: in.CanReadGatedRepos}
	global, err := parsePermissions("fineGrained.global", in.Global)
	if err != nil {
		return nil, err
	}
	for _, p := range global {
		if !p.GlobalPermission() {
			return nil, apperr.E(apperr.Invalid, "fineGrained.global: %s must be scoped to a user, org or repository", p)
		}
	}
	g.Global = global
	if len(in.Scoped) > MaxGrantScopes {
		return nil, apperr.E(apperr.Invalid, "fineGrained.scoped: at most %d scopes", MaxGrantScopes)
	}
	if len(in.Scoped) == 0 && len(global) == 0 {
		return nil, apperr.E(apperr.Invalid, "fineGrained: grant at least one permission")
	}
	pending := map[string]bool{}
	for i, sc := range in.Scoped {
		where := fmt.Sprintf("fineGrained.scoped[%d]", i)
		typ := access.EntityType(sc.Entity.Type)
		if !typ.Valid() {
			return nil, apperr.E(apperr.Invalid, "%s.entity.type must be user, org, model, dataset or space", where)
		}
		if sc.Entity.Name == "" || len(sc.Entity.Name) > 2*MaxNameLen+100 {
			return nil, apperr.E(apperr.Invalid, "%s.entity.name is required", where)
		}
		perms, err := parsePermissions(where, sc.Permissions)
		if err != nil {
			return nil, err
		}
		if len(perms) == 0 {
			return nil, apperr.E(apperr.Invalid, "%s: a scope needs at least one permission", where)
		}
		e, err := s.Entities.Entity(ctx, c, typ, sc.Entity.Name)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			return nil, apperr.E(apperr.NotExist, "%s: no %s named %q that you can see", where, typ, sc.Entity.Name)
		}
		if typ == access.EntityUser && e.Name != c.Username {
			return nil, apperr.E(apperr.Permission, "%s: you can only grant permissions on your own user, not %q", where, e.Name)
		}
		me := c.Principal(e.Roles)
		me.Kind, me.Role = access.KindSession, ""
		for _, p := range perms {
			if (p == access.PermOrgRead || p == access.PermOrgWrite) && typ != access.EntityOrg {
				return nil, apperr.E(apperr.Invalid, "%s: %s applies to organizations only", where, p)
			}
			a, r := probe(p, e)
			if d := access.Decide(me, a, r); !d.Allow {
				if d.Kind == apperr.NotExist {
					return nil, apperr.E(apperr.NotExist, "%s: no %s named %q that you can see", where, typ, sc.Entity.Name)
				}
				return nil, apperr.E(apperr.Permission, "%s: you cannot grant %s on %s %s: you do not have it (%s)", where, p, typ, e.Name, d.Reason)
			}
		}
		g.Scoped = append(g.Scoped, access.Scope{Type: typ, ID: e.ID, Name: e.Name, Permissions: perms})
		if e.Org != "" && e.Policy == access.PolicyRequireApproval {
			pending[e.Org] = true
		}
	}
	for o := range pending {
		g.Pending = append(g.Pending, o)
	}
	return g, nil
}

// ShownGrant returns g as its owner sees it now: the current names of its
// repository scopes (a scope on a repository since deleted keeps its last
// name), and in Pending every organization whose approval it waits for
// now, decided as each request decides it (access.Grant.PendingIn, with
// the organization's token policy now): those asked and not approved, and
// each organization the grant reaches (an organization scope, or a
// repository scope on a repository an organization owns now) that
// requires approval and has not given it. So a token made for one's own
// repository shows pending as soon as that repository moves into an
// organization that requires approval, before any use (invariant 9).
func (s *Service) ShownGrant(ctx context.Context, g *access.Grant) (*access.Grant, error) {
	if g == nil || s.Entities == nil {
		return g, nil
	}
	out := *g
	out.Scoped = append([]access.Scope(nil), g.Scoped...)
	var reach []string // the organizations or namespaces the scopes reach
	for i := range out.Scoped {
		switch sc := &out.Scoped[i]; {
		case sc.Type == access.EntityOrg:
			reach = append(reach, sc.Name)
		case sc.Type.IsRepo():
			name, found, err := s.Entities.RepoName(ctx, sc.ID)
			if err != nil {
				return nil, err
			}
			if found {
				sc.Name = name
				ns, _, _ := strings.Cut(name, "/")
				reach = append(reach, ns)
			}
		}
	}
	out.Pending = nil
	for _, o := range g.Pending {
		if g.PendingIn(o, "") && !access.HasOrg(out.Pending, o) {
			out.Pending = append(out.Pending, o)
		}
	}
	for _, ns := range reach {
		if access.HasOrg(out.Pending, ns) || access.HasOrg(g.Approved, ns) {
			continue
		}
		// A user's namespace has no policy item: "" (allow all).
		policy, err := s.Entities.OrgTokenPolicy(ctx, ns)
		if err != nil {
			return nil, err
		}
		if g.PendingIn(ns, policy) {
			out.Pending = append(out.Pending, ns)
		}
	}
	return &out, nil
}
