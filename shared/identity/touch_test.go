package identity_test

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// writeCounter counts the UpdateItems that changed an item and those whose
// condition failed (billed all the same).
type writeCounter struct {
	ddb.DB
	applied, refused atomic.Int64
}

func (w *writeCounter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := w.DB.UpdateItem(ctx, in, o...)
	switch {
	case err == nil:
		w.applied.Add(1)
	case ddb.ConditionFailed(err):
		w.refused.Add(1)
	}
	return out, err
}

// TestTokenUseHasItsOwnItem: a token's use is recorded in an item of its
// own, at most once a minute across every instance (16 concurrent writers
// in one minute: one write applies), never rewriting the listing item or
// its TOKENEXPIRY index copy; the listing shows it; the next minute writes
// again; deleting the token removes the record.
func TestTokenUseHasItsOwnItem(t *testing.T) {
	svc, store, box := newService(t)
	wc := &writeCounter{DB: store.DB}
	store.DB = wc
	ctx := context.Background()
	c := signupAndLogin(t, svc, box, "toucher")
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	tok, _, err := svc.CreateToken(ctx, c, identity.CreateTokenInput{Name: "ci", Role: "read", ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	listing := func() map[string]types.AttributeValue {
		out, err := wc.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(store.Name), Key: ddb.Key(ddb.UserPK(c.UserID), "TOKEN#"+tok.ID), ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			t.Fatalf("listing item: %v", err)
		}
		return out.Item
	}
	before := listing()

	// 16 instances see the token in the same minute.
	now := time.Now().UTC().Truncate(time.Minute).Add(10 * time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := store.TouchToken(ctx, c.UserID, tok.ID, now.Add(time.Duration(i)*time.Second), time.Minute); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if a, r := wc.applied.Load(), wc.refused.Load(); a != 1 || r != 15 {
		t.Errorf("16 touches in one minute: %d applied, %d refused; want 1 and 15", a, r)
	}
	if after := listing(); !reflect.DeepEqual(before, after) {
		t.Errorf("the listing item changed:\nbefore %v\nafter  %v", before, after)
	}
	list, err := svc.ListTokens(ctx, c)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if got := list[0].LastUsedAt; got.Before(now) || !got.Before(now.Add(16*time.Second)) {
		t.Errorf("listed lastUsedAt %v, want within the minute's touches from %v", got, now)
	}
	if list[0].ID != tok.ID || list[0].ExpiresAt.IsZero() {
		t.Errorf("listed %+v: the use record must not list as a token", list[0])
	}
	// The next minute writes again.
	next := now.Add(time.Minute)
	if err := store.TouchToken(ctx, c.UserID, tok.ID, next, time.Minute); err != nil {
		t.Fatal(err)
	}
	if a := wc.applied.Load(); a != 2 {
		t.Errorf("touch in the next minute: %d applied in all, want 2", a)
	}
	one, err := store.TokenByID(ctx, c.UserID, tok.ID)
	if err != nil || !one.LastUsedAt.Equal(next) {
		t.Errorf("TokenByID lastUsedAt %v (%v), want %v", one.LastUsedAt, err, next)
	}
	if err := svc.DeleteToken(ctx, c, tok.ID); err != nil {
		t.Fatal(err)
	}
	out, err := wc.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(store.Name), Key: ddb.Key(ddb.UserPK(c.UserID), "TOKENUSE#"+tok.ID), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item != nil {
		t.Errorf("use record after delete: %v %v, want gone", out.Item, err)
	}
}
