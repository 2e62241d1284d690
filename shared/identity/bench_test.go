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
// against DynamoDB Local, beside a raw PutItem and a raw two-item
// TransactWriteItems measured in the same run, and reports the ratios.
// Run: make bench (or go test -run '^$' -bench TokenOps -benchtime 1x).
func BenchmarkTokenOpsVsRaw(b *testing.B) {
	const n = 200
	svc, store, box := newServiceB(b)
	ctx := context.Background()
	c := signupAndLoginB(b, svc, box, "benchuser")
	var create, refresh, del, coldRefresh, coldDel, put, tx, tx3 latencies
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
	// Create is one 3-item transaction (lookup, listing, audit event);
	// refresh one 4-item transaction (old lookup, new lookup, listing,
	// audit event); delete one 3-item transaction, each conditional on the
	// listing item. The cold variants run on a service that has not seen
	// the token, so they read it first. All are compared with the raw
	// 3-item transaction.
	report("create", create, tx3)
	report("refresh", refresh, tx3)
	report("delete", del, tx3)
	report("refresh-cold", coldRefresh, tx3)
	report("delete-cold", coldDel, tx3)
}
