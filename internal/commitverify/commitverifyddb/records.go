package commitverifyddb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/internal/commitverify"
	"github.com/hubsec/trustlayer/internal/platform/ddb"
)

// RecentRecords lists up to limit verification records of repoID (in object id
// order; one query on the repository's partition).
func (s Store) RecentRecords(ctx context.Context, repoID string, limit int) ([]commitverify.Record, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S(sigRecPK(repoID)), ":p": ddb.S("OBJ#"),
		},
		Limit: aws.Int32(int32(limit)),
	}, limit)
	if err != nil {
		return nil, err
	}
	if len(items) > limit {
		items = items[:limit]
	}
	out := make([]commitverify.Record, 0, len(items))
	for _, raw := range items {
		var it commitRecordItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, err
		}
		rec, err := it.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}
