// Package gitrefddb stores refs (package gitref).
//
// Items: a ref, pk GITREF#<repoId>, sk REF#<refs/heads/main>, with the
// commit it peels to and the git server's number of the update (seq; a
// numbered deletion leaves the item with deleted=true); and each move of
// it, kept as history: same pk, sk LOG#<ref>#<RFC 3339 time>. No TTL. A
// numbered write is conditional on a smaller stored seq, an unnumbered one
// on no stored seq (invariant 8).
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
	// Seq: gitref.Ref.Seq. Deleted: a deletion numbered Seq, kept so that
	// an older update arriving later cannot bring the ref back.
	Seq     int64 `dynamodbav:"seq,omitempty"`
	Deleted bool  `dynamodbav:"deleted,omitempty"`
}

// newer is the condition of a numbered write: the stored update of the
// ref is older than seq (or not numbered, or absent).
func newer(seq int64) (*string, map[string]types.AttributeValue) {
	return aws.String("attribute_not_exists(pk) OR attribute_not_exists(seq) OR seq < :seq"),
		map[string]types.AttributeValue{":seq": ddb.N64(seq)}
}

// unnumbered is the condition of an unnumbered write (fail closed): no
// numbered update of the ref is stored, since an update without a number
// cannot be ordered against one with.
const unnumbered = "attribute_not_exists(seq)"

// PutRef implements gitref.Store.
func (s Store) PutRef(ctx context.Context, repoID string, r gitref.Ref) error {
	it := refItem{PK: refPK(repoID), SK: "REF#" + r.Name, Ref: r.Name, Commit: r.Commit, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedBy, Seq: r.Seq}
	log := it
	log.SK = "LOG#" + r.Name + "#" + r.UpdatedAt.Format(time.RFC3339Nano)
	put := &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(it)}
	if r.Seq > 0 {
		put.ConditionExpression, put.ExpressionAttributeValues = newer(r.Seq)
	} else {
		put.ConditionExpression = aws.String(unnumbered)
	}
	err := s.Transact(ctx, []types.TransactWriteItem{
		{Put: put},
		{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(log)}},
	})
	if isFirstFailed(err) {
		return gitref.ErrStale
	}
	return err
}

// isFirstFailed reports whether err is the failed condition of the
// transaction's first item (the ref).
func isFirstFailed(err error) bool {
	for _, i := range ddb.FailedIndexes(err) {
		if i == 0 {
			return true
		}
	}
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// DeleteRef implements gitref.Store: a numbered deletion leaves a
// tombstone (Ref reads it as absent); an unnumbered one removes the item
// only when it holds no numbered update.
func (s Store) DeleteRef(ctx context.Context, repoID, name string, seq int64) error {
	if seq > 0 {
		cond, vals := newer(seq)
		it := refItem{PK: refPK(repoID), SK: "REF#" + name, Ref: name, Seq: seq, Deleted: true, UpdatedAt: time.Now().UTC()}
		_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(it),
			ConditionExpression: cond, ExpressionAttributeValues: vals})
		if isFirstFailed(err) {
			return gitref.ErrStale
		}
		if err != nil {
			return fmt.Errorf("delete ref %s: %w", name, err)
		}
		return nil
	}
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Name), Key: ddb.Key(refPK(repoID), "REF#"+name),
		ConditionExpression: aws.String(unnumbered)})
	if isFirstFailed(err) {
		return gitref.ErrStale
	}
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
	if it.Deleted {
		return gitref.Ref{}, false, nil
	}
	return gitref.Ref{Name: it.Ref, Commit: it.Commit, UpdatedAt: it.UpdatedAt, UpdatedBy: it.UpdatedBy, Seq: it.Seq}, true, nil
}
