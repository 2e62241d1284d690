package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/lfs/lfsddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

type oneRepo struct{ r repo.Repo }

// Authorize decides as repo.Service does, for a caller with no
// organization role.
func (o oneRepo) Authorize(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (repo.Repo, error) {
	r, err := o.Get(ctx, typ, ns, name)
	if err != nil {
		return repo.Repo{}, apperr.E(apperr.NotExist, "%s", access.ReasonNotFound).WithCode(apperr.CodeRepoNotFound)
	}
	if d := access.Decide(c.Principal(nil), a, r.Resource()); !d.Allow {
		return repo.Repo{}, d.Err()
	}
	return r, nil
}

// AuthorizeRead reads as Authorize does: these tests carry no
// authorizer reading.
func (o oneRepo) AuthorizeRead(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (repo.Repo, error) {
	return o.Authorize(ctx, c, a, typ, ns, name)
}

func (o oneRepo) Get(_ context.Context, typ access.RepoType, ns, name string) (repo.Repo, error) {
	if typ == o.r.Type && ns == o.r.Namespace && name == o.r.Name {
		return o.r, nil
	}
	return repo.Repo{}, store.ErrNotFound
}

func hexRand(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestResolveServesOnlyJudgedSafeBytes: an LFS file of the index, its
// object on the real S3 server and its verdict in DynamoDB Local as the
// scanner writes it. Pending through the wait: 409 (apperr.Exist); a
// verdict that arrives during the wait: served; infected and error: 403
// with the reason; and a file not in the index: EntryNotFound.
func TestResolveServesOnlyJudgedSafeBytes(t *testing.T) {
	bucket := testenv.RequireEnv(t, "TRUSTLAYER_BUCKET")
	testenv.RequireEnv(t, "AWS_ENDPOINT_URL_S3")
	tb := ddbtest.NewTable(t)
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objects := s3objects.New(awsconfig.S3(cfg), bucket)
	user := "rs" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "m", Owner: access.OwnerUser, OwnerID: "u1"}
	caller := access.Caller{Kind: access.KindUserToken, Role: access.TokenRead, UserID: "u1", Username: user}
	scans := scanddb.Store{Table: tb}
	lfsFiles := lfsddb.Files{Table: tb}
	settings, err := scan.LoadSettings(nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	settings.DownloadWait = 700 * time.Millisecond
	svc := &files.Service{Store: filesddb.Store{Table: tb}, Refs: gitrefddb.Store{Table: tb}, Repos: oneRepo{r},
		Objects: objects, LFS: lfsFiles, Results: scans, Scans: scans, Settings: settings, Bucket: bucket,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	commit := hexRand(20)
	var entries []files.Entry
	refs := map[string]scan.ObjectRef{}
	for _, name := range []string{"pending", "late", "infected", "error", "clean"} {
		data := []byte("bytes of " + name + " " + hexRand(8))
		sum := sha256.Sum256(data)
		oid := hex.EncodeToString(sum[:])
		key := scan.ObjectKey(r.Type, r.Namespace, r.Name, oid)
		href, hdr, err := objects.PresignPut(ctx, key, r.ID, int64(len(data)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		putBytes(t, href, hdr, data)
		info, ok, err := objects.Stat(ctx, key)
		if err != nil || !ok {
			t.Fatalf("stat %s: %v %v", key, ok, err)
		}
		f := lfs.File{Type: r.Type, Namespace: r.Namespace, Name: r.Name, RepoID: r.ID, OID: oid, Size: info.Size, Key: key,
			VersionID: info.VersionID, ETag: info.ETag, UploadedAt: time.Now()}
		if err := lfsFiles.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
		refs[name] = f.Ref(bucket)
		entries = append(entries, files.Entry{Path: name + ".bin", Mode: "100644", Size: 130, BlobID: hexRand(20), LFS: &files.LFSPointer{OID: oid, Size: int64(len(data))}})
		now := time.Now().UTC()
		if _, err := scans.Claim(ctx, refs[name], "run-"+name, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		status := map[string]scan.Status{"infected": scan.StatusInfected, "error": scan.StatusError, "clean": scan.StatusOK}[name]
		if status != "" {
			if err := scans.Complete(ctx, scan.Result{Object: refs[name], Status: status, Reason: "reason of " + name, Run: "run-" + name, ScannedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := svc.Store.PutCommit(ctx, r.ID, commit, entries, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refs.PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	resolve := func(p string) (files.Download, error) {
		return svc.Resolve(ctx, files.ResolveInput{Caller: caller, Type: r.Type, Namespace: r.Namespace, Name: r.Name, Revision: "main", Path: p})
	}

	if d, err := resolve("clean.bin"); err != nil || d.Commit != commit || !d.LFS || d.Key == "" || d.Inline() {
		t.Errorf("clean: %+v %v, want served by redirect", d, err)
	}
	if _, err := resolve("pending.bin"); apperr.KindOf(err) != apperr.Exist || !strings.Contains(apperr.Public(err), "still being scanned") {
		t.Errorf("pending: %v, want 409 still being scanned", err)
	}
	for _, name := range []string{"infected", "error"} {
		_, err := resolve(name + ".bin")
		if apperr.KindOf(err) != apperr.Permission || !strings.Contains(apperr.Public(err), "reason of "+name) {
			t.Errorf("%s: %v, want 403 with the reason", name, err)
		}
	}
	if _, err := resolve("missing.bin"); apperr.CodeOf(err) != apperr.CodeEntryNotFound {
		t.Errorf("missing: %v, want EntryNotFound", err)
	}
	// A verdict that arrives during the wait is served.
	svc.Settings.DownloadWait = 20 * time.Second
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = scans.Complete(ctx, scan.Result{Object: refs["late"], Status: scan.StatusOK, Run: "run-late", ScannedAt: time.Now().UTC()})
	}()
	if d, err := resolve("late.bin"); err != nil || d.Key == "" {
		t.Errorf("late verdict: %+v %v, want served after the wait", d, err)
	}
}

func putBytes(t *testing.T, href string, hdr map[string]string, data []byte) {
	t.Helper()
	req, err := http.NewRequest("PUT", href, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("put: %d", res.StatusCode)
	}
}
