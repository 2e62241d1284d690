package authz

import (
	"context"
	"errors"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
)

// Entities resolves the entities of fine-grained grants from the user,
// organization and repository stores (identity.Entities).
type Entities struct {
	Users interface {
		UserByName(ctx context.Context, name string) (identity.User, error)
	}
	Orgs interface {
		OrgByName(ctx context.Context, name string) (org.Org, error)
		OrgRole(ctx context.Context, org, user string) (access.OrgRole, error)
		OrgTokenPolicy(ctx context.Context, org string) (access.TokenPolicy, error)
	}
	Repos interface {
		Repo(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error)
		RepoByID(ctx context.Context, id string) (repo.Repo, error)
	}
}

var _ identity.Entities = Entities{}

// Entity resolves a user, an organization or a repository
// ("namespace/name") for the token's creator.
func (e Entities) Entity(ctx context.Context, c access.Caller, typ access.EntityType, name string) (identity.Entity, error) {
	switch typ {
	case access.EntityUser:
		u, err := e.Users.UserByName(ctx, name)
		if err != nil {
			return identity.Entity{}, err
		}
		return identity.Entity{ID: u.ID, Name: u.Name, Resource: access.Namespace(u.Name, access.OwnerUser)}, nil
	case access.EntityOrg:
		o, roles, err := e.org(ctx, c, name)
		if err != nil {
			return identity.Entity{}, err
		}
		r := access.Namespace(o.Name, access.OwnerOrg)
		r.Policy = o.TokenPolicy
		return identity.Entity{ID: o.ID, Name: o.Name, Resource: r, Roles: roles, Org: o.Name, Policy: o.TokenPolicy}, nil
	}
	ns, n, ok := strings.Cut(name, "/")
	if !ok || ns == "" || n == "" || strings.Contains(n, "/") {
		return identity.Entity{}, store.ErrNotFound
	}
	r, err := e.Repos.Repo(ctx, access.RepoType(typ), ns, n)
	if err != nil {
		return identity.Entity{}, err
	}
	facts := r.Facts()
	out := identity.Entity{ID: r.ID, Name: r.FullName()}
	if r.Owner == access.OwnerOrg {
		o, roles, err := e.org(ctx, c, r.Namespace)
		if err != nil {
			return identity.Entity{}, err
		}
		facts.Policy = o.TokenPolicy
		out.Roles, out.Org, out.Policy = roles, o.Name, o.TokenPolicy
	}
	out.Resource = access.Repo(r.Namespace, r.Name, r.Type, r.Private, r.Owner).With(facts)
	return out, nil
}

func (e Entities) org(ctx context.Context, c access.Caller, name string) (org.Org, map[string]access.OrgRole, error) {
	o, err := e.Orgs.OrgByName(ctx, name)
	if err != nil {
		return org.Org{}, nil, err
	}
	role, err := e.Orgs.OrgRole(ctx, o.Name, c.Username)
	if err != nil {
		return org.Org{}, nil, err
	}
	return o, map[string]access.OrgRole{o.Name: role}, nil
}

// RepoName returns a repository's current "namespace/name".
func (e Entities) RepoName(ctx context.Context, id string) (string, bool, error) {
	r, err := e.Repos.RepoByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return r.FullName(), true, nil
}

// OrgTokenPolicy reads an organization's token policy now (the store the
// authorizer reads, strongly consistent); "" for a name that is no
// organization.
func (e Entities) OrgTokenPolicy(ctx context.Context, org string) (access.TokenPolicy, error) {
	return e.Orgs.OrgTokenPolicy(ctx, org)
}
