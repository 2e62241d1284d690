package commitverifyddb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/signature"
)

// TestPutRecordsFirstRecordWins (DynamoDB Local): 250 records are written
// in three transactions at once; an object recorded before keeps its
// first record, an object twice in the same call (in two chunks) gets one
// record, which both places return, and every other object is created.
func TestPutRecordsFirstRecordWins(t *testing.T) {
	s := commitverifyddb.Store{Table: ddbtest.NewTable(t)}
	ctx := context.Background()
	repoID := randid.Hex(8)
	rec := func(i int, status signature.Status) commitverify.Record {
		r := commitverify.Record{RepoID: repoID, Repo: "model:a/b", SubmittedBy: "a"}
		r.Result = signature.Result{Kind: signature.Commit, ObjectID: fmt.Sprintf("%040x", i), Status: status, VerifiedAt: time.Now().UTC()}
		return r
	}
	// Object 150 (second chunk) was recorded unverified before.
	if _, created, err := s.PutRecord(ctx, rec(150, signature.StatusUnverified)); err != nil || !created {
		t.Fatalf("first record: %v %v", created, err)
	}
	recs := make([]commitverify.Record, 250)
	for i := range recs {
		recs[i] = rec(i, signature.StatusVerified)
	}
	recs[240] = rec(20, signature.StatusVerified) // object 20 again, in the third chunk
	stored, created, err := s.PutRecords(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		switch {
		case i == 150:
			if created[i] || stored[i].Status != signature.StatusUnverified {
				t.Errorf("object 150: created %v, %s; want the first record (unverified) kept", created[i], stored[i].Status)
			}
		case i == 20 || i == 240:
		default:
			if !created[i] || stored[i].ObjectID != recs[i].ObjectID {
				t.Errorf("record %d: created %v, object %s", i, created[i], stored[i].ObjectID)
			}
		}
	}
	if created[20] == created[240] || stored[20].ObjectID != stored[240].ObjectID {
		t.Errorf("object 20 twice: created %v and %v; want exactly one created", created[20], created[240])
	}
	for _, i := range []int{0, 99, 100, 199, 200, 249, 150} {
		got, err := s.Record(ctx, repoID, recs[i].ObjectID)
		if err != nil || got.Status != stored[i].Status {
			t.Errorf("read back record %d: %v %v, want %s", i, got.Status, err, stored[i].Status)
		}
	}
}
