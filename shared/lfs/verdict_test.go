package lfs

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// TestVerdictGatesDownloads: only an ok verdict is served; a pending one
// is waited for until the deadline, then refused with 409; error and
// infected are refused with 403 and their reason. Results live in
// DynamoDB Local, written as the scanner writes them.
func TestVerdictGatesDownloads(t *testing.T) {
	tb := ddbtest.NewTable(t)
	st := scanddb.Store{Table: tb}
	s := &Service{Scans: st, Bucket: "b", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	now := time.Now().UTC()
	file := func(name string, status scan.Status, reason string) File {
		f := File{Key: "lfs/model/ns/" + name, VersionID: "v1", ETag: "e", Size: 1}
		ref := f.Ref("b")
		if _, err := st.Claim(ctx, ref, "run-"+name, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if status != scan.StatusPending {
			if err := st.Complete(ctx, scan.Result{Object: ref, Status: status, Reason: reason, Run: "run-" + name, ScannedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	tests := []struct {
		name   string
		status scan.Status
		reason string
		code   int // 0: served
		msg    string
	}{
		{"clean", scan.StatusOK, "", 0, ""},
		{"pending", scan.StatusPending, "", 409, "still being scanned"},
		{"infected", scan.StatusInfected, "ClamAV found malware", 403, "infected (ClamAV found malware)"},
		{"error", scan.StatusError, "clamd unreachable", 403, "could not be scanned (clamd unreachable)"},
	}
	for _, tt := range tests {
		f := file(tt.name, tt.status, tt.reason)
		res, err := s.verdict(ctx, f, time.Now().Add(600*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		e := servable(res)
		switch {
		case tt.code == 0 && e != nil:
			t.Errorf("%s: refused %+v, want served", tt.name, e)
		case tt.code != 0 && (e == nil || e.Code != tt.code || !strings.Contains(e.Message, tt.msg)):
			t.Errorf("%s: got %+v, want %d %q", tt.name, e, tt.code, tt.msg)
		}
	}
	// A pending verdict that arrives during the wait is served.
	f := file("late", scan.StatusPending, "")
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = st.Complete(ctx, scan.Result{Object: f.Ref("b"), Status: scan.StatusOK, Run: "run-late", ScannedAt: time.Now().UTC()})
	}()
	res, err := s.verdict(ctx, f, time.Now().Add(30*time.Second))
	if err != nil || res.Status != scan.StatusOK {
		t.Fatalf("late verdict: got %v %v, want ok", res.Status, err)
	}
}
