package identityddb

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

var _ identity.ExpiryStore = Store{}

// TokensExpiringBefore queries every shard of gsi1's expiry list
// (eventually consistent: the sweeper re-checks every change with a
// condition), the soonest first.
func (s Store) TokensExpiringBefore(ctx context.Context, t time.Time, limit int) ([]identity.Token, error) {
	items, err := s.QueryShards(ctx, ddb.Shards(expiryPK, ExpiryShards), func(pk string) *dynamodb.QueryInput {
		return &dynamodb.QueryInput{
			IndexName:              aws.String("gsi1"),
			KeyConditionExpression: aws.String("gsi1pk = :pk AND gsi1sk < :before"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": ddb.S(pk), ":before": ddb.S(expirySK(t)),
			},
		}
	}, "gsi1sk", limit)
	if err != nil {
		return nil, err
	}
	return ddb.DecodeAll(items, func(it tokenMetaItem) identity.Token {
		return it.domain(strings.TrimPrefix(it.PK, ddb.UserPK("")))
	})
}

func (s Store) expiryUpdate(ctx context.Context, t identity.Token, expr, cond string, values map[string]types.AttributeValue) error {
	values[":h"] = ddb.S(t.Hash)
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), "TOKEN#"+t.ID),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("#h = :h" + cond),
		ExpressionAttributeNames: map[string]string{"#h": "hash"}, ExpressionAttributeValues: values,
	})
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	return err
}

// MarkExpiryWarned sets expiryWarnedAt once.
func (s Store) MarkExpiryWarned(ctx context.Context, t identity.Token, at time.Time) error {
	return s.expiryUpdate(ctx, t, "SET expiryWarnedAt = :at", " AND attribute_not_exists(expiryWarnedAt)",
		map[string]types.AttributeValue{":at": ddb.S(at.UTC().Format(time.RFC3339Nano))})
}

// ClearExpiryWarned removes expiryWarnedAt.
func (s Store) ClearExpiryWarned(ctx context.Context, t identity.Token) error {
	return s.expiryUpdate(ctx, t, "REMOVE expiryWarnedAt", "", map[string]types.AttributeValue{})
}

// RemoveExpiredToken deletes the listing item (if its hash is unchanged)
// and writes ev, in one transaction.
func (s Store) RemoveExpiredToken(ctx context.Context, t identity.Token, ev audit.Event) error {
	err := s.Transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), "TOKEN#"+t.ID),
			ConditionExpression:       aws.String("#h = :h"),
			ExpressionAttributeNames:  map[string]string{"#h": "hash"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":h": ddb.S(t.Hash)}}},
		s.AuditPut(ev),
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), tokenUseSK(t.ID))}},
	})
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	return err
}
