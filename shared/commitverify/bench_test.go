package commitverify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/signature"
)

// freshRepos answers every lookup with a new repository id, so each
// benchmark round writes new records instead of finding old ones.
type freshRepos struct{}

func (freshRepos) Info(_ context.Context, _ access.Caller, typ access.RepoType, ns, name string) (repo.Repo, error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return repo.Repo{ID: hex.EncodeToString(b[:]), Type: typ, Namespace: ns, Name: name, RequireSignedCommits: true}, nil
}

// BenchmarkVerifyPush verifies GPG-signed commits through the service with
// the DynamoDB-backed KeyDirectory and Store (DynamoDB Local), one commit
// per push and 50 per push, and reports the time per commit.
func BenchmarkVerifyPush(b *testing.B) {
	tb := ddbtest.NewTable(b)
	ctx := context.Background()
	ids := identityddb.Store{Table: tb}
	u := identity.User{ID: "benchuser", Name: "alice"}
	if err := ids.CreateUser(ctx, u, identity.Email{Address: "alice@example.com", UserID: u.ID, Verified: true}); err != nil {
		b.Fatal(err)
	}
	alice := access.Caller{Kind: access.KindSession, UserID: u.ID, Username: u.Name}
	g := gittest.New(b)
	fpr := g.GenKey("Alice <alice@example.com>", "ed25519", "sign", "never", 0)
	keys := &keyring.Service{Store: keyringddb.Store{Table: tb}, Emails: ids}
	if _, err := keys.AddGPGKey(ctx, alice, g.Export(fpr)); err != nil {
		b.Fatal(err)
	}
	r := g.NewRepo("w", "sha1")
	var objs []commitverify.Object
	for i := 0; i < 50; i++ {
		id := r.Commit("Alice", "alice@example.com", gittest.Signer{Format: "openpgp", Key: fpr}, fmt.Sprintf("c%d", i))
		objs = append(objs, commitverify.Object{Kind: signature.Commit, Raw: r.CatFile("commit", id), Label: fmt.Sprintf("commits[%d]", i)})
	}
	svc := &commitverify.Service{Keys: keyringddb.Store{Table: tb}, Store: commitverifyddb.Store{Table: tb}, Repos: freshRepos{}}
	for _, batch := range []int{1, 50} {
		b.Run(fmt.Sprintf("commits=%d", batch), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				in := objs[:batch]
				if batch == 1 {
					in = objs[i%len(objs) : i%len(objs)+1]
				}
				start := time.Now()
				p, err := svc.VerifyPush(ctx, alice, access.RepoModel, "alice", "w", in)
				total += time.Since(start)
				if err != nil || !p.Decision.Allowed {
					b.Fatalf("verify: %+v, %v", p.Decision, err)
				}
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N*batch), "µs/commit")
		})
	}
}
