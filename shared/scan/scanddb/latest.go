package scanddb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/scan"
)

// LatestResult reads the results of every version of key and returns the
// one that speaks for the key's content: a verdict (ok or infected) before
// anything else, then the most recently scanned. It is meant for
// content-addressed keys (LFS oids, git blob SHA-256s), whose versions all
// hold the same bytes.
func (s Store) LatestResult(ctx context.Context, bucket, key string) (scan.Result, bool, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": ddb.S(scanPK(bucket, key))},
		ConsistentRead:            aws.Bool(true),
	}, 100)
	if err != nil {
		return scan.Result{}, false, fmt.Errorf("results of %s: %w", key, err)
	}
	all, err := ddb.DecodeAll(items, func(it scanItem) scan.Result { return it.domain() })
	if err != nil {
		return scan.Result{}, false, err
	}
	var best scan.Result
	found := false
	for _, r := range all {
		switch {
		case !found:
		case r.Status.Final() != best.Status.Final():
			if !r.Status.Final() {
				continue
			}
		case !r.ScannedAt.After(best.ScannedAt):
			continue
		}
		best, found = r, true
	}
	return best, found, nil
}
