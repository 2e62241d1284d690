package authz_test

import (
	"context"
	"fmt"
	"net/http"
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
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/token"
)

// BenchmarkFineGrainedDecision: the authorizer's decision for a
// fine-grained token with 1 and with 50 scopes, beside a read token's
// decision and a raw consistent GetItem of the token item, interleaved in
// one run. The grant rides on the token's lookup item, so the goal is at
// most 1.1x the read token's decision at p50 and p99. Two routes: whoami
// (the token item alone) and a private repository's info (token, repo and
// the grant's scopes checked).
func BenchmarkFineGrainedDecision(b *testing.B) {
	f := newStoreFixture(b)
	ctx := context.Background()
	ids := identityddb.Store{Table: f.tbl}
	repos := repoddb.Store{Table: f.tbl}
	svc := &identity.Service{Store: ids, Entities: authz.Entities{Users: ids, Orgs: orgddb.Store{Table: f.tbl}, Repos: repos}}
	u, err := ids.UserByName(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	caller := access.Caller{Kind: access.KindSession, UserID: u.ID, Username: u.Name}
	var scopes []identity.ScopeInput
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("m%02d", i)
		r := repo.Repo{ID: fmt.Sprintf("bench-repo-%02d", i), Type: access.RepoModel, Namespace: u.Name, Name: name, Owner: access.OwnerUser,
			OwnerID: u.ID, Private: true, CreatedBy: u.ID, CreatedAt: time.Now(), LastModified: time.Now()}
		if err := repos.CreateRepo(ctx, r); err != nil {
			b.Fatal(err)
		}
		scopes = append(scopes, identity.ScopeInput{Entity: identity.EntityInput{Type: "model", Name: u.Name + "/" + name},
			Permissions: []string{"repo.content.read", "repo.write"}})
	}
	mint := func(n int) string {
		// The scope on the last repository is the one the repo route checks.
		in := identity.CreateTokenInput{Name: fmt.Sprint("fg", n), Role: "fineGrained", FineGrained: &identity.FineGrainedInput{Scoped: scopes[50-n:]}}
		_, secret, err := svc.CreateToken(ctx, caller, in)
		if err != nil {
			b.Fatal(err)
		}
		return secret.Reveal()
	}
	secrets := map[string]string{"read": f.secret, "fg1": mint(1), "fg50": mint(50)}
	names := []string{"read", "fg1", "fg50"}
	for _, route := range []struct{ name, path string }{{"whoami", "/api/whoami-v2"}, {"repo", "/api/models/bench/m49"}} {
		lat := map[string][]time.Duration{}
		var raw []time.Duration
		key := map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "TOKEN#" + token.Hash(secrets["fg50"])},
			"sk": &types.AttributeValueMemberS{Value: "TOKEN"},
		}
		for i := 0; i < 600; i++ {
			for _, n := range names {
				req := authz.Request{Method: "GET", Path: route.path, Header: http.Header{"Authorization": {"Bearer " + secrets[n]}}}
				t0 := time.Now()
				if out := f.a.Decide(ctx, req); !out.Allow {
					b.Fatalf("%s %s denied: %v", n, route.path, out.Deny)
				}
				lat[n] = append(lat[n], time.Since(t0))
			}
			t0 := time.Now()
			if _, err := f.tbl.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(f.tbl.Name), Key: key, ConsistentRead: aws.Bool(true)}); err != nil {
				b.Fatal(err)
			}
			raw = append(raw, time.Since(t0))
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		for _, n := range names {
			b.ReportMetric(ms(pct(lat[n], 0.5)), route.name+"-"+n+"-p50-ms")
			b.ReportMetric(ms(pct(lat[n], 0.99)), route.name+"-"+n+"-p99-ms")
		}
		b.ReportMetric(ms(pct(raw, 0.5)), route.name+"-getitem-p50-ms")
		for _, n := range []string{"fg1", "fg50"} {
			b.ReportMetric(float64(pct(lat[n], 0.5))/float64(pct(lat["read"], 0.5)), route.name+"-"+n+"/read-p50")
			b.ReportMetric(float64(pct(lat[n], 0.99))/float64(pct(lat["read"], 0.99)), route.name+"-"+n+"/read-p99")
		}
	}
}
