package scan

import (
	"context"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/repo"
)

// RepoGetter reads a repository (*repo.Service).
type RepoGetter interface {
	Get(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error)
}

// RepoOwners implements Owners with the repository service.
type RepoOwners struct{ Repos RepoGetter }

// OwnerSubject implements Owners.
func (o RepoOwners) OwnerSubject(ctx context.Context, k KeyParts) (string, error) {
	r, err := o.Repos.Get(ctx, k.Type, k.Namespace, k.Name)
	if err != nil {
		return "", fmt.Errorf("read repo %s/%s: %w", k.Namespace, k.Name, err)
	}
	return repo.Namespace{Name: r.Namespace, Kind: r.Owner, ID: r.OwnerID}.Subject(), nil
}
