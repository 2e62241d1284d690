package identity_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/identity"
)

// latencies collects durations and reports percentiles.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	s := append(latencies(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkTokenOpsVsRaw measures create, refresh and delete of a token
// against DynamoDB Local, each beside the raw TransactWriteItems of its
// own shape (items and conditions) measured in the same run, and reports
// the ratios; a raw PutItem and raw 2- and 3-item transactions are printed
// too.
// Run: make bench (or go test -run '^$' -bench TokenOps -benchtime 1x).
func BenchmarkTokenOpsVsRaw(b *testing.B) {
	const n = 200
	svc, store, box := newServiceB(b)
	ctx := context.Background()
	c := signupAndLoginB(b, svc, box, "benchuser")
	var create, refresh, del, coldRefresh, coldDel, put, tx, tx3 latencies
	var shapeCreate, shapeRefresh, shapeDelete latencies
	for i := 0; i < b.N; i++ {
		for j := 0; j < n; j++ {
			t0 := time.Now()
			tok, _, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "bench", Role: "read"})
			if err != nil {
				b.Fatal(err)
			}
			create = append(create, time.Since(t0))
			t0 = time.Now()
			if _, _, err := svc.RefreshToken(ctx, c, tok.ID); err != nil {
				b.Fatal(err)
			}
			refresh = append(refresh, time.Since(t0))
			t0 = time.Now()
			if err := svc.DeleteToken(ctx, c, tok.ID); err != nil {
				b.Fatal(err)
			}
			del = append(del, time.Since(t0))

			// The same on a service that has not seen the token (another
			// function instance): a read, then the transaction.
			tok, _, err = svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "bench", Role: "read"})
			if err != nil {
				b.Fatal(err)
			}
			t0 = time.Now()
			if _, _, err := (&identity.Service{Store: store}).RefreshToken(ctx, c, tok.ID); err != nil {
				b.Fatal(err)
			}
			coldRefresh = append(coldRefresh, time.Since(t0))
			t0 = time.Now()
			if err := (&identity.Service{Store: store}).DeleteToken(ctx, c, tok.ID); err != nil {
				b.Fatal(err)
			}
			coldDel = append(coldDel, time.Since(t0))

			item := func(k string) map[string]types.AttributeValue {
				return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k}, "sk": &types.AttributeValueMemberS{Value: "X"},
					"v": &types.AttributeValueMemberS{Value: "some value of a token item size...................................."}}
			}
			t0 = time.Now()
			if _, err := store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("RAW#%d", j))}); err != nil {
				b.Fatal(err)
			}
			put = append(put, time.Since(t0))
			t0 = time.Now()
			if _, err := store.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("RAWTX#%d#a", j))}},
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("RAWTX#%d#b", j))}},
			}}); err != nil {
				b.Fatal(err)
			}
			tx = append(tx, time.Since(t0))
			t0 = time.Now()
			if _, err := store.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("RAWTX3#%d#a", j))}},
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("RAWTX3#%d#b", j))}},
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("RAWTX3#%d#c", j))}},
			}}); err != nil {
				b.Fatal(err)
			}
			tx3 = append(tx3, time.Since(t0))

			// The raw transactions of each operation's own shape, with
			// its conditions, on items of a token's size. The items they
			// need are written first, untimed.
			cond := func(k, c string) *types.Put {
				return &types.Put{TableName: aws.String(store.Name), Item: item(k), ConditionExpression: aws.String(c)}
			}
			key := func(k string) map[string]types.AttributeValue {
				return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k}, "sk": &types.AttributeValueMemberS{Value: "X"}}
			}
			for _, k := range []string{"lookup", "listing", "use"} {
				if _, err := store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(store.Name), Item: item(fmt.Sprintf("SHAPE#%d#%s", j, k))}); err != nil {
					b.Fatal(err)
				}
			}
			k := func(s string) string { return fmt.Sprintf("SHAPE#%d#%s", j, s) }
			t0 = time.Now()
			// create: lookup and listing, each new, and the audit event.
			if _, err := store.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: cond(k("new-lookup"), "attribute_not_exists(pk)")},
				{Put: cond(k("new-listing"), "attribute_not_exists(pk)")},
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(k("audit-c"))}},
			}}); err != nil {
				b.Fatal(err)
			}
			shapeCreate = append(shapeCreate, time.Since(t0))
			t0 = time.Now()
			// refresh: delete the old lookup, put the new one, update the
			// listing on its hash, the audit event.
			if _, err := store.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Delete: &types.Delete{TableName: aws.String(store.Name), Key: key(k("lookup")), ConditionExpression: aws.String("attribute_exists(pk)")}},
				{Put: cond(k("lookup2"), "attribute_not_exists(pk)")},
				{Update: &types.Update{TableName: aws.String(store.Name), Key: key(k("listing")), UpdateExpression: aws.String("SET v = :n"),
					ConditionExpression:       aws.String("v = :o"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberS{Value: "new hash value"}, ":o": item("")["v"]}}},
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(k("audit-r"))}},
			}}); err != nil {
				b.Fatal(err)
			}
			shapeRefresh = append(shapeRefresh, time.Since(t0))
			t0 = time.Now()
			// delete: the lookup, the listing on its hash, the audit
			// event, the use record.
			if _, err := store.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Delete: &types.Delete{TableName: aws.String(store.Name), Key: key(k("lookup2")), ConditionExpression: aws.String("attribute_exists(pk)")}},
				{Delete: &types.Delete{TableName: aws.String(store.Name), Key: key(k("listing")), ConditionExpression: aws.String("v = :h"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: "new hash value"}}}},
				{Put: &types.Put{TableName: aws.String(store.Name), Item: item(k("audit-d"))}},
				{Delete: &types.Delete{TableName: aws.String(store.Name), Key: key(k("use"))}},
			}}); err != nil {
				b.Fatal(err)
			}
			shapeDelete = append(shapeDelete, time.Since(t0))
		}
	}
	report := func(name string, l, ref latencies) {
		b.ReportMetric(ms(l.pct(0.5)), name+"-p50-ms")
		b.ReportMetric(ms(l.pct(0.99)), name+"-p99-ms")
		b.ReportMetric(float64(l.pct(0.5))/float64(ref.pct(0.5)), name+"/raw-p50")
		b.ReportMetric(float64(l.pct(0.99))/float64(ref.pct(0.99)), name+"/raw-p99")
	}
	b.ReportMetric(ms(put.pct(0.5)), "raw-put-p50-ms")
	b.ReportMetric(ms(put.pct(0.99)), "raw-put-p99-ms")
	b.ReportMetric(ms(tx.pct(0.5)), "raw-tx2-p50-ms")
	b.ReportMetric(ms(tx.pct(0.99)), "raw-tx2-p99-ms")
	b.ReportMetric(ms(tx3.pct(0.5)), "raw-tx3-p50-ms")
	b.ReportMetric(ms(tx3.pct(0.99)), "raw-tx3-p99-ms")
	b.ReportMetric(ms(shapeCreate.pct(0.5)), "raw-create-shape-p50-ms")
	b.ReportMetric(ms(shapeRefresh.pct(0.5)), "raw-refresh-shape-p50-ms")
	b.ReportMetric(ms(shapeDelete.pct(0.5)), "raw-delete-shape-p50-ms")
	// Each operation beside the raw transaction of its own shape: create
	// is one 3-item transaction (lookup and listing, each new, and the
	// audit event); refresh one 4-item transaction (delete the old lookup,
	// put the new, update the listing on its hash, the audit event);
	// delete one 4-item transaction (the lookup, the listing on its hash,
	// the audit event, the use record). The cold variants run on a service
	// that has not seen the token, so they read it first: the same raw
	// shape is their reference, the read is the difference.
	report("create", create, shapeCreate)
	report("refresh", refresh, shapeRefresh)
	report("delete", del, shapeDelete)
	report("refresh-cold", coldRefresh, shapeRefresh)
	report("delete-cold", coldDel, shapeDelete)
}
