package identityddb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
)

// TestKeyCheckerHoldsTheStoreToItsKeys: the KeyChecker every DynamoDB
// Local test runs under reports a key the store's declaration does not
// name (here a session, with SESSION#* taken out of the declaration), and
// attributes table keys, index queries and the platform's goroutines
// (QueryShards) as the LeadingKeys conditions need.
func TestKeyCheckerHoldsTheStoreToItsKeys(t *testing.T) {
	tb := ddbtest.NewUncheckedTable(t)
	ctx := context.Background()
	now := time.Now().UTC()

	kc := ddbtest.NewKeyChecker(tb.DB)
	s := Store{Table: ddb.Table{DB: kc, Name: tb.Name}}
	tk := identity.Token{ID: "t1", UserID: "u1", Username: "alice", Name: "t1", Role: access.TokenRead, Hash: "h1", Hint: "hf_...", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateToken(ctx, tk, audit.Event{Subject: "user:u1", At: now, Type: "token.created"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokensExpiringBefore(ctx, now.Add(2*time.Hour), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmailsOfUser(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if v := kc.Violations(); len(v) != 0 {
		t.Fatalf("declared keys reported: %q", v)
	}
	touched := strings.Join(kc.Touched(), "\n")
	for _, want := range []string{"identityddb table TOKEN#h1", "identityddb table USER#u1", "identityddb gsi1 USER#u1", "platform gsi1 TOKENEXPIRY#"} {
		if !strings.Contains(touched, want) {
			t.Errorf("touched keys lack %q:\n%s", want, touched)
		}
	}

	var narrowed ddb.KeySpace
	narrowed.Index = Keys.Index
	for _, p := range Keys.Table {
		if p != "SESSION#*" {
			narrowed.Table = append(narrowed.Table, p)
		}
	}
	ddb.Declare(narrowed)
	t.Cleanup(func() { ddb.Declare(Keys) })
	if err := s.PutSession(ctx, identity.Session{Hash: "sh", UserID: "u1", Username: "alice", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	v := kc.Violations()
	if len(v) != 1 || !strings.Contains(v[0], `"SESSION#sh"`) || !strings.Contains(v[0], "identityddb") {
		t.Fatalf("a session key outside the declaration: violations %q, want the one SESSION#sh", v)
	}
}
