package repoddb

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
)

// idPointerItem finds a repository by id (pk REPOID#<id>, sk REPOID): it
// holds the key of the repository item, which a change of letter case
// keeps and a move rewrites. Fine-grained tokens bind to repository ids
// and show the current name through it.
type idPointerItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	RepoPK string `dynamodbav:"repoPk"`
}

const idPointerSK = "REPOID"

func idPointerPK(id string) string { return "REPOID#" + id }

func (s Store) putIDPointer(r repo.Repo) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name),
		Item: ddb.Marshal(idPointerItem{PK: idPointerPK(r.ID), SK: idPointerSK, RepoPK: repoPK(r.Type, r.Namespace, r.Name)})}}
}

// RepoByID reads the repository with id, wherever it lives now;
// store.ErrNotFound when it is gone (a pointer left by a deletion does not
// match the id of what now holds its key).
func (s Store) RepoByID(ctx context.Context, id string) (repo.Repo, error) {
	if id == "" {
		return repo.Repo{}, store.ErrNotFound
	}
	var p idPointerItem
	if err := s.Get(ctx, idPointerPK(id), idPointerSK, &p); err != nil {
		return repo.Repo{}, ddb.NotFound(err)
	}
	var it repoItem
	if err := s.Get(ctx, p.RepoPK, repoSK, &it); err != nil {
		if errors.Is(err, ddb.ErrNoItem) {
			return repo.Repo{}, store.ErrNotFound
		}
		return repo.Repo{}, err
	}
	if it.ID != id {
		return repo.Repo{}, store.ErrNotFound
	}
	return it.domain(), nil
}
