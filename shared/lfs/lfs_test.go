package lfs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/lfs/lfsddb"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// queue records scans asked for (the scanner is not under test here).
type queue struct{}

func (queue) Enqueue(context.Context, []scan.ObjectRef) error { return nil }

type world struct {
	t     *testing.T
	lfs   *lfs.Service
	repos *repo.Service
	owner access.Caller
}

// newWorld is a fresh table, the stack's S3 bucket, and one user with a
// random name (the bucket is shared between runs).
func newWorld(t *testing.T) world {
	t.Helper()
	bucket := testenv.RequireEnv(t, "TRUSTLAYER_BUCKET")
	table := ddbtest.NewTable(t)
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	name := "lfs-" + hex.EncodeToString(b[:])
	u := identity.User{ID: "u" + hex.EncodeToString(b[:]), Name: name, PasswordHash: "x", CreatedAt: time.Now().UTC()}
	if err := (identityddb.Store{Table: table}).CreateUser(context.Background(), u, identity.Email{Address: name + "@example.com", UserID: u.ID, Verified: true, AddedAt: u.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	repos := &repo.Service{Store: repoddb.Store{Table: table}, Orgs: orgddb.Store{Table: table}, Log: log}
	svc := &lfs.Service{Repos: repos, Files: lfsddb.Files{Table: table},
		Objects: s3objects.New(awsconfig.S3(cfg), bucket), Scans: scanddb.Store{Table: table}, Queue: queue{},
		Settings: scan.Settings{Timeout: time.Minute, Grace: time.Minute}, Bucket: bucket, PublicURL: "http://hub.test", Log: log}
	return world{t: t, lfs: svc, repos: repos, owner: access.Caller{Kind: access.KindSession, UserID: u.ID, Username: name}}
}

func (w world) create(name string, private bool) repo.Repo {
	w.t.Helper()
	r, err := w.repos.Create(context.Background(), w.owner, repo.CreateInput{Name: name, Type: access.RepoModel, Private: private})
	if err != nil {
		w.t.Fatalf("create %s: %v", name, err)
	}
	return r
}

// push uploads data to the repository as git-lfs does: batch, PUT to the
// presigned URL with the headers given, verify.
func (w world) push(name string, data []byte) lfs.ObjectRequest {
	w.t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256(data)
	o := lfs.ObjectRequest{OID: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	resp, err := w.lfs.Batch(ctx, lfs.BatchInput{Caller: w.owner, Type: access.RepoModel, Namespace: w.owner.Username, Name: name,
		Request: lfs.BatchRequest{Operation: "upload", Objects: []lfs.ObjectRequest{o}}})
	if err != nil || len(resp.Objects) != 1 || resp.Objects[0].Actions["upload"] == nil {
		w.t.Fatalf("batch upload to %s: %+v, %v", name, resp, err)
	}
	up := resp.Objects[0].Actions["upload"]
	req, _ := http.NewRequest(http.MethodPut, up.Href, bytes.NewReader(data))
	for k, v := range up.Header {
		req.Header.Set(k, v)
	}
	put, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	put.Body.Close()
	if put.StatusCode != http.StatusOK {
		w.t.Fatalf("PUT: %d", put.StatusCode)
	}
	if err := w.lfs.Verify(ctx, lfs.VerifyInput{Caller: w.owner, Type: access.RepoModel, Namespace: w.owner.Username, Name: name, Object: o}); err != nil {
		w.t.Fatalf("verify: %v", err)
	}
	return o
}

// tree lists the LFS files the repository name (as c sees it) holds.
func (w world) tree(c access.Caller, name string) []lfs.File {
	w.t.Helper()
	ctx := context.Background()
	r, err := w.repos.Info(ctx, c, access.RepoModel, w.owner.Username, name)
	if err != nil {
		w.t.Fatalf("info of %s: %v", name, err)
	}
	out, err := w.lfs.Files.Files(ctx, r.ID)
	if err != nil {
		w.t.Fatalf("files of %s: %v", name, err)
	}
	return out
}

func (w world) download(c access.Caller, name string, o lfs.ObjectRequest) lfs.ObjectResponse {
	w.t.Helper()
	resp, err := w.lfs.Batch(context.Background(), lfs.BatchInput{Caller: c, Type: access.RepoModel, Namespace: w.owner.Username, Name: name,
		Request: lfs.BatchRequest{Operation: "download", Objects: []lfs.ObjectRequest{o}}})
	if err != nil || len(resp.Objects) != 1 {
		w.t.Fatalf("batch download from %s: %+v, %v", name, resp, err)
	}
	return resp.Objects[0]
}

// judgeOK records the scanner's ok verdict for f, as the scanner would.
func (w world) judgeOK(f lfs.File) {
	w.t.Helper()
	ctx := context.Background()
	st := w.lfs.Scans.(scanddb.Store)
	ref := f.Ref(w.lfs.Bucket)
	now := time.Now().UTC()
	if _, err := st.Claim(ctx, ref, "run-test", now, now.Add(time.Hour)); err != nil {
		w.t.Fatal(err)
	}
	if err := st.Complete(ctx, scan.Result{Object: ref, Status: scan.StatusOK, Run: "run-test", ScannedAt: now}); err != nil {
		w.t.Fatal(err)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// A public repository created under the name of a deleted private one
// shows none of its files and serves none of them, even to someone who
// knows their oid and size.
func TestLFSFilesDoNotOutliveTheirRepository(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.create("weights", true)
	secret := w.push("weights", randomBytes(1024))
	if got := w.tree(w.owner, "weights"); len(got) != 1 {
		t.Fatalf("private repo lists %d files, want 1", len(got))
	}
	if err := w.repos.Delete(ctx, w.owner, access.RepoModel, w.owner.Username, "weights"); err != nil {
		t.Fatal(err)
	}
	w.create("weights", false)
	anon := access.Caller{Kind: access.KindAnonymous}
	if got := w.tree(anon, "weights"); len(got) != 0 {
		t.Fatalf("new public repo under the old name lists %d files (%s), want none", len(got), got[0].OID)
	}
	if got := w.download(anon, "weights", secret); got.Error == nil || got.Error.Code != 404 || got.Actions != nil {
		t.Fatalf("anonymous download of the old private file: got %+v, want 404", got)
	}
	// Knowing the oid and size does not claim the old object either.
	resp, err := w.lfs.Batch(ctx, lfs.BatchInput{Caller: w.owner, Type: access.RepoModel, Namespace: w.owner.Username, Name: "weights",
		Request: lfs.BatchRequest{Operation: "upload", Objects: []lfs.ObjectRequest{secret}}})
	if err != nil || resp.Objects[0].Actions["upload"] == nil {
		t.Fatalf("upload of the old object's oid: got %+v, %v; want an upload action", resp, err)
	}
	err = w.lfs.Verify(ctx, lfs.VerifyInput{Caller: w.owner, Type: access.RepoModel, Namespace: w.owner.Username, Name: "weights", Object: secret})
	if apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("verify without uploading: got %v, want not uploaded", err)
	}
	if got := w.tree(anon, "weights"); len(got) != 0 {
		t.Fatalf("after upload and verify attempts: %d files, want none", len(got))
	}
}

// A moved repository keeps its files.
func TestLFSFilesFollowAMove(t *testing.T) {
	w := newWorld(t)
	w.create("before", false)
	o := w.push("before", randomBytes(512))
	if _, err := w.repos.Move(context.Background(), w.owner, access.RepoModel, w.owner.Username, "before", w.owner.Username, "after"); err != nil {
		t.Fatal(err)
	}
	if got := w.tree(w.owner, "after"); len(got) != 1 || got[0].OID != o.OID {
		t.Fatalf("moved repo lists %+v, want its file", got)
	}
	// Only judged-safe bytes are served: record the scanner's ok verdict
	// for the object the moved repository lists.
	r, err := w.repos.Info(context.Background(), w.owner, access.RepoModel, w.owner.Username, "after")
	if err != nil {
		t.Fatal(err)
	}
	f, ok, err := w.lfs.Files.File(context.Background(), r.ID, o.OID)
	if err != nil || !ok {
		t.Fatalf("moved repo's file record: %+v, %v, %v", f, ok, err)
	}
	w.judgeOK(f)
	if got := w.download(w.owner, "after", o); got.Actions["download"] == nil {
		t.Fatalf("download from the moved repo: got %+v, want a download action", got)
	}
}
