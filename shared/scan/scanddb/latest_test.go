package scanddb_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// TestSettledResultsFollowLatestResult: after every way a result is
// stored (verdicts of two versions in either order, an error retried, an
// error given up, a pending scan), the batched SettledResults of a key
// says what LatestResult says when that is settled, and nothing when it
// is not.
func TestSettledResultsFollowLatestResult(t *testing.T) {
	ctx := context.Background()
	st := scanddb.Store{Table: ddbtest.NewTable(t)}
	const bucket = "b"
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := 0
	complete := func(key, version string, status scan.Status, at time.Time, retry bool) {
		t.Helper()
		run++
		ref := scan.ObjectRef{Bucket: bucket, Key: key, VersionID: version, ETag: "e" + version}
		c, err := st.Claim(ctx, ref, "run"+string(rune('a'+run)), at, at.Add(time.Hour))
		if err != nil || !c.Won {
			t.Fatalf("claim %s@%s: %v %+v", key, version, err, c)
		}
		r := scan.Result{Object: ref, Status: status, Reason: string(status) + "@" + version, ScannedAt: at, Run: "run" + string(rune('a'+run))}
		if retry {
			r.Deadline = at
		}
		if err := st.Complete(ctx, r); err != nil {
			t.Fatalf("complete %s@%s: %v", key, version, err)
		}
	}
	// ok, then a later scan of another version finds it infected.
	complete("flip", "v1", scan.StatusOK, t0, false)
	complete("flip", "v2", scan.StatusInfected, t0.Add(time.Minute), false)
	// infected scanned later than an ok that completes afterwards: the
	// newer (infected) keeps speaking.
	complete("late", "v2", scan.StatusInfected, t0.Add(time.Minute), false)
	complete("late", "v1", scan.StatusOK, t0, false)
	// a verdict, then an error of another version: the verdict speaks.
	complete("verdict-then-error", "v1", scan.StatusOK, t0, false)
	complete("verdict-then-error", "v2", scan.StatusError, t0.Add(time.Minute), false)
	// an error being retried: not settled.
	complete("retrying", "v1", scan.StatusError, t0, true)
	// an error given up: settled as that error.
	complete("given-up", "v1", scan.StatusError, t0, true)
	gu, _, err := st.Result(ctx, bucket, "given-up", "v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.GiveUp(ctx, gu); err != nil {
		t.Fatal(err)
	}
	// queued, never scanned.
	if _, err := st.Queue(ctx, scan.ObjectRef{Bucket: bucket, Key: "pending", ETag: "x"}, t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys := []string{"flip", "late", "verdict-then-error", "retrying", "given-up", "pending", "never"}
	got, err := st.SettledResults(ctx, bucket, keys)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]scan.Status{"flip": scan.StatusInfected, "late": scan.StatusInfected, "verdict-then-error": scan.StatusOK, "given-up": scan.StatusError}
	for _, k := range keys {
		s, ok := got[k]
		if w, settled := want[k]; settled != ok || (ok && s.Status != w) {
			t.Errorf("%s: settled %v %q, want %v %q", k, ok, s.Status, settled, w)
		}
		latest, found, err := st.LatestResult(ctx, bucket, k)
		if err != nil {
			t.Fatal(err)
		}
		if ok && (!found || latest.Status != s.Status || latest.Reason != s.Reason) {
			t.Errorf("%s: settled %q (%s) but LatestResult %v %q (%s)", k, s.Status, s.Reason, found, latest.Status, latest.Reason)
		}
	}
	// More keys than one BatchGetItem takes.
	var many []string
	for i := 0; i < 250; i++ {
		k := "many/" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		many = append(many, k)
		complete(k, "v1", scan.StatusOK, t0, false)
	}
	got, err = st.SettledResults(ctx, bucket, append(many, many[:10]...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Errorf("250 settled keys read in batches: %d found", len(got))
	}
}
