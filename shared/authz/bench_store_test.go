package authz_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/token"
)

// countingDB counts store calls, to prove malformed tokens touch nothing.
type countingDB struct {
	ddb.DB
	calls atomic.Int64
}

func (c *countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.calls.Add(1)
	return c.DB.GetItem(ctx, in, o...)
}

type storeFixture struct {
	a      *authz.Authorizer
	db     *countingDB
	tbl    ddb.Table
	secret string
}

var codeRE = regexp.MustCompile(`code is (\d{8})`)

func newStoreFixture(b testing.TB) storeFixture {
	t := ddbtest.NewTable(b)
	db := &countingDB{DB: t.DB}
	t.DB = db
	box := mail.Outbox{Dir: b.TempDir()}
	store := identityddb.Store{Table: t}
	svc := &identity.Service{Store: store, Mailer: box}
	ctx := context.Background()
	if _, _, err := svc.Signup(ctx, identity.SignupInput{Username: "bench", Email: "bench@example.com", Password: "long enough pw"}, ""); err != nil {
		b.Fatal(err)
	}
	sec, _, u, err := svc.Login(ctx, "bench", "long enough pw", "")
	if err != nil {
		b.Fatal(err)
	}
	_ = sec
	_, secret, err := svc.CreateToken(ctx, access.Caller{Kind: access.KindSession, UserID: u.ID, Username: u.Name}, identity.CreateTokenInput{Name: "b", Role: "read"})
	if err != nil {
		b.Fatal(err)
	}
	a := &authz.Authorizer{Auth: svc, Facts: authz.JoinFacts(orgddb.Store{Table: t}, repoddb.Store{Table: t}), Touch: store}
	return storeFixture{a: a, db: db, tbl: t, secret: secret.Reveal()}
}

func pct(l []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// BenchmarkDecisionVsGetItem: a valid token's decision (whoami route: one
// consistent GetItem of the token item) end to end against DynamoDB Local,
// beside a raw consistent GetItem of the same item in the same run; then 16
// concurrent callers.
func BenchmarkDecisionVsGetItem(b *testing.B) {
	f := newStoreFixture(b)
	ctx := context.Background()
	req := authz.Request{Method: "GET", Path: "/api/whoami-v2", Header: http.Header{"Authorization": {"Bearer " + f.secret}}}
	key := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + token.Hash(f.secret)},
		"sk": &types.AttributeValueMemberS{Value: "TOKEN"},
	}
	const n = 1000
	var dec, raw []time.Duration
	for i := 0; i < n; i++ {
		// Alternate so that machine noise hits both alike.
		t0 := time.Now()
		if out := f.a.Decide(ctx, req); !out.Allow {
			b.Fatalf("denied: %v", out.Deny)
		}
		dec = append(dec, time.Since(t0))
		t0 = time.Now()
		if _, err := f.tbl.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.tbl.Name), Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
			b.Fatal(err)
		}
		raw = append(raw, time.Since(t0))
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(pct(dec, 0.5)), "decision-p50-ms")
	b.ReportMetric(ms(pct(dec, 0.99)), "decision-p99-ms")
	b.ReportMetric(ms(pct(raw, 0.5)), "getitem-p50-ms")
	b.ReportMetric(ms(pct(raw, 0.99)), "getitem-p99-ms")
	b.ReportMetric(float64(pct(dec, 0.5))/float64(pct(raw, 0.5)), "p50-ratio")
	b.ReportMetric(float64(pct(dec, 0.99))/float64(pct(raw, 0.99)), "p99-ratio")

	// 16 concurrent callers for a fixed time.
	var done atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(3 * time.Second)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if out := f.a.Decide(ctx, req); out.Allow {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(done.Load())/3, "decisions/s@16")
}

// BenchmarkMalformedRejection: a token with a bad checksum is refused
// before any store call.
func BenchmarkMalformedRejection(b *testing.B) {
	f := newStoreFixture(b)
	ctx := context.Background()
	bad := f.secret[:len(f.secret)-1] + "Z"
	if bad == f.secret {
		bad = f.secret[:len(f.secret)-1] + "Y"
	}
	req := authz.Request{Method: "GET", Path: "/api/whoami-v2", Header: http.Header{"Authorization": {"Bearer " + bad}}}
	before := f.db.calls.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out := f.a.Decide(ctx, req); out.Allow {
			b.Fatal("allowed a malformed token")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(f.db.calls.Load()-before), "store-calls")
}
