package files_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/lfs/lfsddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// readCount counts GetItem and Query calls.
type readCount struct {
	ddb.DB
	n atomic.Int64
}

func (r *readCount) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	r.n.Add(1)
	return r.DB.GetItem(ctx, in, o...)
}

func (r *readCount) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	r.n.Add(1)
	return r.DB.Query(ctx, in, o...)
}

// TestPendingDownloadsAnswerAtOnce: 200 concurrent downloads of a file
// whose scan is pending, with the default settings, each answer 409 (the
// HTTP face adds Retry-After) after one pass of reads (the ref, the file,
// the LFS object, the verdict: 4): no download polls the verdict, so none
// holds its function longer than one request's reads. Counted at the
// store layer, not timed.
func TestPendingDownloadsAnswerAtOnce(t *testing.T) {
	tb := ddbtest.NewTable(t)
	rc := &readCount{DB: tb.DB}
	tb.DB = rc
	ctx := context.Background()
	settings, err := scan.LoadSettings(nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if settings.DownloadWait != 0 {
		t.Fatalf("default DownloadWait %v, want 0 (answer at once)", settings.DownloadWait)
	}
	user := "pd" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "m", Owner: access.OwnerUser, OwnerID: "u1"}
	caller := access.Caller{Kind: access.KindUserToken, Role: access.TokenRead, UserID: "u1", Username: user}
	scans, lfsFiles := scanddb.Store{Table: tb}, lfsddb.Files{Table: tb}
	const bucket = "uploads"
	oid := hexRand(32)
	key := scan.ObjectKey(r.Type, r.Namespace, r.Name, oid)
	f := lfs.File{Type: r.Type, Namespace: r.Namespace, Name: r.Name, RepoID: r.ID, OID: oid, Size: 1 << 20, Key: key, VersionID: "v1", UploadedAt: time.Now()}
	if err := lfsFiles.PutFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := scans.Claim(ctx, f.Ref(bucket), "run", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	svc := &files.Service{Store: filesddb.Store{Table: tb}, Refs: gitrefddb.Store{Table: tb}, Repos: oneRepo{r},
		LFS: lfsFiles, Results: scans, Scans: scans, Settings: settings, Bucket: bucket,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	commit := hexRand(20)
	e := files.Entry{Path: "model.bin", Mode: "100644", Size: 130, BlobID: hexRand(20), LFS: &files.LFSPointer{OID: oid, Size: f.Size}}
	if err := svc.Store.PutCommit(ctx, r.ID, commit, []files.Entry{e}, now); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refs.PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	rc.n.Store(0)
	const n = 200
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.Resolve(ctx, files.ResolveInput{Caller: caller, Type: r.Type, Namespace: r.Namespace, Name: r.Name, Revision: "main", Path: "model.bin"})
			if apperr.KindOf(err) != apperr.Exist {
				wrong.Add(1)
				t.Logf("download: %v, want 409 pending", err)
			}
		}()
	}
	wg.Wait()
	if w := wrong.Load(); w != 0 {
		t.Errorf("%d of %d downloads were not answered 409 pending", w, n)
	}
	// A warm download reads a bounded few items (4 here); the first ones of
	// an instance read a little more while the commit's index is not yet in
	// the function's memory (200 at once averaged 4.2). One that polled the
	// verdict every 250 ms for 10 s would read about 40 times.
	if got := rc.n.Load(); got > 5*n {
		t.Errorf("%d downloads read %d times (%.1f each), want at most 5 each: a download polled", n, got, float64(got)/n)
	}
}
