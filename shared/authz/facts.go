// Package authz is the one access decision with several faces: it reads the
// credential of a request, resolves the caller, maps the route to an action
// and a resource (routes.go), loads the facts the policy needs and asks
// access.Decide. The faces (API Gateway HTTP API simple responses, REST
// TOKEN/REQUEST IAM policies, forward-auth HTTP) only translate.
package authz

import (
	"context"

	"github.com/hubsec/trustlayer/shared/access"
)

// Facts loads, per request and strongly consistent, what a decision needs
// beyond the credential. JoinFacts builds it from the organization and repository stores.
type Facts interface {
	// OrgRole returns user's role in org, or "" when user is not a member
	// (or org does not exist).
	OrgRole(ctx context.Context, org, user string) (access.OrgRole, error)
	// RepoFacts returns a repository's visibility and owner kind; found is
	// false when there is no such repository.
	RepoFacts(ctx context.Context, typ access.RepoType, namespace, name string) (f access.RepoFacts, found bool, err error)
	// OrgByTokenHash resolves an org API token (by its hash) to its org.
	OrgByTokenHash(ctx context.Context, hash string) (org string, found bool, err error)
}

// PolicyFacts is what Facts may also offer: a user's role in an org and
// the org's token policy in one round trip. Without it token policies are
// not applied by the authorizer.
type PolicyFacts interface {
	OrgAccess(ctx context.Context, org, user string) (access.OrgRole, access.TokenPolicy, error)
}

// TokenPolicySource is what Facts may also offer: an organization's token
// policy alone (a small item of its own), which the authorizer caches for
// PolicyTTL. Preferred to PolicyFacts when offered.
type TokenPolicySource interface {
	OrgTokenPolicy(ctx context.Context, org string) (access.TokenPolicy, error)
}

// OrgFacts is the organizations' part of Facts.
type OrgFacts interface {
	OrgRole(ctx context.Context, org, user string) (access.OrgRole, error)
	OrgByTokenHash(ctx context.Context, hash string) (org string, found bool, err error)
}

// RepoFactsSource is the repositories' part of Facts.
type RepoFactsSource interface {
	RepoFacts(ctx context.Context, typ access.RepoType, namespace, name string) (access.RepoFacts, bool, error)
}

// JoinFacts returns the Facts of an organization store and a repository
// store.
func JoinFacts(orgs OrgFacts, repos RepoFactsSource) Facts {
	if ps, ok := orgs.(TokenPolicySource); ok {
		return joinedPolicy{joined{orgs, repos}, ps}
	}
	return joined{orgs, repos}
}

// joinedPolicy is joined over an org store that reads token policies on
// their own.
type joinedPolicy struct {
	joined
	TokenPolicySource
}

type joined struct {
	OrgFacts
	RepoFactsSource
}

// OrgAccess is the org store's, when it has one; otherwise the role alone.
func (j joined) OrgAccess(ctx context.Context, org, user string) (access.OrgRole, access.TokenPolicy, error) {
	if pf, ok := j.OrgFacts.(PolicyFacts); ok {
		return pf.OrgAccess(ctx, org, user)
	}
	role, err := j.OrgRole(ctx, org, user)
	return role, "", err
}
