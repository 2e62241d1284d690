// Package gitrefddb stores refs (package gitref).
//
// Items: a ref, pk GITREF#<repoId>, sk REF#<refs/heads/main>, with the
// commit it peels to; and each move of it, kept as history: same pk,
// sk LOG#<ref>#<RFC 3339 time>. No TTL.
package gitrefddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// Store implements gitref.Store.
type Store struct{ ddb.Table }

var _ gitref.Store = Store{}

func refPK(repoID string) string { return "GITREF#" + repoID }

type refItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Ref       string    `dynamodbav:"ref"`
	Commit    string    `dynamodbav:"commit"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
	UpdatedBy string    `dynamodbav:"updatedBy"`
}

// PutRef implements gitref.Store.
func (s Store) PutRef(ctx context.Context, repoID string, r gitref.Ref) error {
	it := refItem{PK: refPK(repoID), SK: "REF#" + r.Name, Ref: r.Name, Commit: r.Commit, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy}
	log := it
	log.SK = "LOG#" + r.Name + "#" + r.UpdatedAt.Format(time.RFC3339Nano)
	return s.Transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(it)}},
		{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(log)}},
	})
}

// DeleteRef implements gitref.Store.
func (s Store) DeleteRef(ctx context.Context, repoID, name string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Name), Key: ddb.Key(refPK(repoID), "REF#"+name)})
	if err != nil {
		return fmt.Errorf("delete ref %s: %w", name, err)
	}
	return nil
}

// Ref implements gitref.Store.
func (s Store) Ref(ctx context.Context, repoID, name string) (gitref.Ref, bool, error) {
	var it refItem
	err := s.Get(ctx, refPK(repoID), "REF#"+name, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return gitref.Ref{}, false, nil
	}
	if err != nil {
		return gitref.Ref{}, false, err
	}
	return gitref.Ref{Name: it.Ref, Commit: it.Commit, UpdatedAt: it.UpdatedAt, UpdatedBy: it.UpdatedBy}, true, nil
}
