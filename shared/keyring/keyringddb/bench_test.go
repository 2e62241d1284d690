package keyringddb_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// BenchmarkGPGKeyUpload times keyring.Service.AddGPGKey (parse, email
// lookups, one transaction of key record + key-id claims) for pre-generated
// keys, beside a raw TransactWriteItems of the same number of items in the
// same run, and reports p50/p99 of both and their ratio.
func BenchmarkGPGKeyUpload(b *testing.B) {
	const n = 50
	tb := ddbtest.NewTable(b)
	ctx := context.Background()
	ids := identityddb.Store{Table: tb}
	g := gittest.New(b)
	var armored []string
	for i := 0; i < n; i++ {
		fpr := g.GenKey(fmt.Sprintf("U%d <u%d@example.com>", i, i), "ed25519", "default", "never", 0)
		g.AddSubkey(fpr, "cv25519", "encr", "never", 0)
		armored = append(armored, g.Export(fpr))
	}
	svc := &keyring.Service{Store: keyringddb.Store{Table: tb}, Emails: ids, Audit: ids}
	callers := make([]access.Caller, n)
	for i := range callers {
		u := identity.User{ID: fmt.Sprintf("bench%d", i), Name: fmt.Sprintf("u%d", i)}
		em := identity.Email{Address: fmt.Sprintf("u%d@example.com", i), UserID: u.ID, Verified: true}
		if err := ids.CreateUser(ctx, u, em); err != nil {
			b.Fatal(err)
		}
		callers[i] = access.Caller{Kind: access.KindSession, UserID: u.ID, Username: u.Name}
	}
	uploaded := make([]string, n)
	var ours, raw []time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		for i := 0; i < n; i++ {
			c := callers[i]
			if uploaded[i] != "" { // free the key uploaded in the previous round
				b.StopTimer()
				if err := svc.DeleteGPGKey(ctx, c, uploaded[i]); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			start := time.Now()
			k, err := svc.AddGPGKey(ctx, c, armored[i])
			if err != nil {
				b.Fatalf("upload %d: %v", i, err)
			}
			ours = append(ours, time.Since(start))
			uploaded[i] = k.ID

			// The same three items (record + two key-id claims), raw.
			items := make([]types.TransactWriteItem, 0, 3)
			for j := 0; j < 3; j++ {
				items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(tb.Name),
					Item: map[string]types.AttributeValue{
						"pk":      &types.AttributeValueMemberS{Value: fmt.Sprintf("RAW#%d#%d#%d", it, i, j)},
						"sk":      &types.AttributeValueMemberS{Value: "RAW"},
						"armored": &types.AttributeValueMemberS{Value: armored[i]},
					},
					ConditionExpression: aws.String("attribute_not_exists(pk)")}})
			}
			start = time.Now()
			if _, err := tb.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
				b.Fatal(err)
			}
			raw = append(raw, time.Since(start))
		}
	}
	b.StopTimer()
	p := func(d []time.Duration, q float64) time.Duration {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[int(q*float64(len(s)-1))]
	}
	b.ReportMetric(float64(p(ours, .5).Microseconds()), "upload-p50-µs")
	b.ReportMetric(float64(p(ours, .99).Microseconds()), "upload-p99-µs")
	b.ReportMetric(float64(p(raw, .5).Microseconds()), "rawtx-p50-µs")
	b.ReportMetric(float64(p(raw, .99).Microseconds()), "rawtx-p99-µs")
	b.ReportMetric(float64(p(ours, .5))/float64(p(raw, .5)), "p50-ratio")
}
