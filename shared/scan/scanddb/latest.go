package scanddb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/scan"
)

// latestSK is a key's settled item: a copy of the result that speaks for
// the key once it has a settled one, so that lists of files read their
// verdicts 100 keys per BatchGetItem instead of one query per file.
const latestSK = "LATEST"

// settled reports whether r no longer changes by itself: a verdict (ok or
// infected), or an error the scanner will not retry (no deadline).
func settled(r scan.Result) bool {
	return r.Status.Final() || (r.Status == scan.StatusError && r.Deadline.IsZero())
}

// putLatest makes r the key's settled item: a verdict replaces anything
// but a verdict scanned later (LatestResult's choice: a verdict first, then
// the newest); a given-up error replaces only another error.
func (s Store) putLatest(r scan.Result) types.TransactWriteItem {
	it := toScanItem(r)
	it.SK, it.GSI1PK, it.GSI1SK = latestSK, "", ""
	cond := "attribute_not_exists(pk) OR (#s <> :ok AND #s <> :infected)"
	vals := map[string]types.AttributeValue{":ok": ddb.S(string(scan.StatusOK)), ":infected": ddb.S(string(scan.StatusInfected))}
	names := map[string]string{"#s": "status"}
	if r.Status.Final() {
		cond += " OR #at < :at"
		names["#at"] = "scannedAt"
		vals[":at"] = ddb.S(fmtTime(r.ScannedAt))
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(it),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: vals}}
}

// LatestResult reads the results of every version of key and returns the
// one that speaks for the key's content: a verdict (ok or infected) before
// anything else, then the most recently scanned. It is meant for
// content-addressed keys (LFS oids, git blob SHA-256s), whose versions all
// hold the same bytes.
func (s Store) LatestResult(ctx context.Context, bucket, key string) (scan.Result, bool, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :v)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": ddb.S(scanPK(bucket, key)), ":v": ddb.S("V#")},
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

// SettledResults reads the settled item of each key, 100 keys per
// BatchGetItem (strongly consistent). A key in the answer has the result
// LatestResult gives when its verdict is ok or infected; a key whose
// newest result is a given-up error has that error. A key missing from the
// answer has no settled result yet (pending, error being retried, never
// scanned): ask LatestResult for it.
func (s Store) SettledResults(ctx context.Context, bucket string, keys []string) (map[string]scan.Result, error) {
	ks := make([][2]string, len(keys))
	for i, k := range keys {
		ks[i] = [2]string{scanPK(bucket, k), latestSK}
	}
	items, err := s.BatchGet(ctx, ks, true)
	if err != nil {
		return nil, fmt.Errorf("settled results: %w", err)
	}
	out := make(map[string]scan.Result, len(items))
	for _, m := range items {
		var it scanItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out[it.Key] = it.domain()
	}
	return out, nil
}

// Settle writes r as its key's settled item when r is settled and the key
// has none as new (the condition the scanner's own write has): for a
// verdict recorded before settled items existed, found by LatestResult, so
// that the next list reads it in its batch. Anything else is left alone.
func (s Store) Settle(ctx context.Context, r scan.Result) error {
	if !settled(r) {
		return nil
	}
	put := s.putLatest(r).Put
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues})
	if err != nil && !ddb.ConditionFailed(err) {
		return fmt.Errorf("settle %s: %w", r.Object.Key, err)
	}
	return nil
}
