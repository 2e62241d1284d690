package scanddb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// TestDueAcrossShards: queued scans land on several due-list shards, and
// Due returns the earliest due across all of them, in order, up to its
// limit, and none not yet due.
func TestDueAcrossShards(t *testing.T) {
	tbl := ddbtest.NewTable(t)
	st := scanddb.Store{Table: tbl}
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	const n = 40
	for i := 0; i < n; i++ {
		ref := scan.ObjectRef{Bucket: "b", Key: fmt.Sprintf("k/%02d", i), VersionID: "v", ETag: "e", Size: 1}
		// Due times interleave with the keys: i = 0 is due last.
		if _, err := st.Queue(ctx, ref, base, base.Add(time.Duration(n-i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	future := scan.ObjectRef{Bucket: "b", Key: "k/future", VersionID: "v", ETag: "e", Size: 1}
	if _, err := st.Queue(ctx, future, base, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := st.Due(ctx, time.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("Due returned %d, want 10", len(got))
	}
	for i, r := range got {
		if want := fmt.Sprintf("k/%02d", n-1-i); r.Object.Key != want {
			t.Errorf("due #%d is %s, want %s (the earliest first across shards)", i, r.Object.Key, want)
		}
	}
	all, err := st.Due(ctx, time.Now(), 1000)
	if err != nil || len(all) != n {
		t.Errorf("Due(1000) returned %d, %v; want the %d due, not the future one", len(all), err, n)
	}
}
