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
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/lfs/lfsddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan/s3objects"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// oneRepo is the repository store of these tests: one user repository.
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

func (o oneRepo) Get(_ context.Context, typ access.RepoType, ns, name string) (repo.Repo, error) {
	if typ == o.r.Type && strings.EqualFold(ns, o.r.Namespace) && strings.EqualFold(name, o.r.Name) {
		return o.r, nil
	}
	return repo.Repo{}, store.ErrNotFound
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// newService is the LFS service on DynamoDB Local and the stack's S3
// server (versitygw), with 5 MiB parts.
func newService(t *testing.T) (*lfs.Service, access.Caller) {
	t.Helper()
	bucket := testenv.RequireEnv(t, "TRUSTLAYER_BUCKET")
	testenv.RequireEnv(t, "AWS_ENDPOINT_URL_S3")
	tb := ddbtest.NewTable(t)
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	objects := s3objects.New(awsconfig.S3(cfg), bucket)
	user := "mp" + hex.EncodeToString(randBytes(4))
	r := repo.Repo{ID: hex.EncodeToString(randBytes(12)), Type: access.RepoModel, Namespace: user, Name: "big", Owner: access.OwnerUser, OwnerID: "u1"}
	svc := &lfs.Service{Repos: oneRepo{r}, Files: lfsddb.Files{Table: tb}, Objects: objects, Multipart: objects,
		ChunkSize: lfs.MinChunkSize, Scans: scanddb.Store{Table: tb}, Bucket: bucket, PublicURL: "https://hub.example",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return svc, access.Caller{Kind: access.KindUserToken, Role: access.TokenWrite, UserID: "u1", Username: user}
}

func (tc testCase) batch(t *testing.T, size int64, transfers ...string) lfs.ObjectResponse {
	t.Helper()
	out, err := tc.svc.Batch(context.Background(), lfs.BatchInput{Caller: tc.c, Type: access.RepoModel, Namespace: tc.c.Username, Name: "big",
		Request: lfs.BatchRequest{Operation: "upload", Transfers: transfers, HashAlgo: "sha_256", Objects: []lfs.ObjectRequest{{OID: tc.oid, Size: size}}}})
	if err != nil || len(out.Objects) != 1 {
		t.Fatalf("batch: %v %+v", err, out)
	}
	return out.Objects[0]
}

type testCase struct {
	svc *lfs.Service
	c   access.Caller
	oid string
}

// putParts uploads data in the parts the upload action names and returns
// the completion request's parts.
func putParts(t *testing.T, up *lfs.Action, data []byte) []lfs.CompletePart {
	t.Helper()
	chunk, err := strconv.Atoi(up.Header["chunk_size"])
	if err != nil {
		t.Fatalf("chunk_size %q", up.Header["chunk_size"])
	}
	var parts []lfs.CompletePart
	for i := 1; ; i++ {
		u, ok := up.Header[strings.Repeat("0", 5-len(strconv.Itoa(i)))+strconv.Itoa(i)]
		if !ok {
			break
		}
		end := min(i*chunk, len(data))
		req, _ := http.NewRequest("PUT", u, bytes.NewReader(data[(i-1)*chunk:end]))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("ETag") == "" {
			t.Fatalf("PUT part %d: %d, ETag %q", i, res.StatusCode, res.Header.Get("ETag"))
		}
		parts = append(parts, lfs.CompletePart{PartNumber: i, ETag: res.Header.Get("ETag")})
	}
	return parts
}

func uploadID(t *testing.T, href string) string {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("uploadId")
}

// TestMultipartUpload: a 12 MiB object in 5 MiB parts through presigned
// UploadPart URLs on the real S3 server, completed, hash-checked and then
// verified; wrong bytes and a wrong upload id are refused; an object over
// 5 GiB gets parts instead of today's 422.
func TestMultipartUpload(t *testing.T) {
	svc, c := newService(t)
	ctx := context.Background()
	data := randBytes(12 << 20)
	tc := testCase{svc, c, sum(data)}

	if o := tc.batch(t, int64(len(data)), "basic"); o.Actions["upload"].Header["chunk_size"] != "" {
		t.Fatal("multipart offered to a client that did not ask for it")
	}
	// Small objects too, in one part, when the client offers multipart.
	small := testCase{svc, c, sum([]byte("small"))}
	if o := small.batch(t, 5, "basic", "multipart"); o.Actions["upload"].Header["00001"] == "" || o.Actions["upload"].Header["00002"] != "" {
		t.Fatalf("small object with multipart offered: %+v, want one part", o.Actions["upload"])
	}
	o := tc.batch(t, int64(len(data)), "basic", "multipart")
	up := o.Actions["upload"]
	if up == nil || up.Header["chunk_size"] != strconv.Itoa(lfs.MinChunkSize) || up.Header["00003"] == "" || up.Header["00004"] != "" {
		t.Fatalf("upload action: %+v", up)
	}
	if !strings.HasPrefix(up.Href, "https://hub.example/"+c.Username+"/big.git/info/lfs/complete/"+tc.oid+"?uploadId=") || o.Actions["verify"] == nil {
		t.Fatalf("completion href %q, verify %+v", up.Href, o.Actions["verify"])
	}
	parts := putParts(t, up, data)
	in := lfs.CompleteInput{Type: access.RepoModel, Namespace: c.Username, Name: "big", OID: tc.oid, UploadID: "nope", Parts: parts}
	if err := svc.Complete(ctx, in); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("complete with a wrong upload id: %v, want NotExist", err)
	}
	in.UploadID = uploadID(t, up.Href)
	if err := svc.Complete(ctx, in); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if err := svc.Verify(ctx, lfs.VerifyInput{Caller: c, Type: access.RepoModel, Namespace: c.Username, Name: "big",
		Object: lfs.ObjectRequest{OID: tc.oid, Size: int64(len(data))}}); err != nil {
		t.Fatalf("verify: %v", err)
	}

	// Other bytes under an oid: assembled, then refused.
	other := randBytes(11 << 20)
	tc.oid = sum(append([]byte("x"), other[1:]...))
	up = tc.batch(t, int64(len(other)), "basic", "multipart").Actions["upload"]
	parts = putParts(t, up, other)
	err := svc.Complete(ctx, lfs.CompleteInput{Type: access.RepoModel, Namespace: c.Username, Name: "big", OID: tc.oid,
		UploadID: uploadID(t, up.Href), Parts: parts})
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err), "do not hash") {
		t.Fatalf("complete of mismatched bytes: %v, want Invalid", err)
	}

	// Over S3's single-PUT limit: parts, not 422.
	tc.oid = sum([]byte("six gib"))
	big := int64(6 << 30)
	if o := tc.batch(t, big, "basic"); o.Error == nil || o.Error.Code != 422 {
		t.Fatalf("6 GiB without multipart: %+v, want 422", o.Error)
	}
	up = tc.batch(t, big, "basic", "multipart").Actions["upload"]
	n := 0
	for k := range up.Header {
		if k != "chunk_size" {
			n++
		}
	}
	if want := int((big + lfs.MinChunkSize - 1) / lfs.MinChunkSize); n != want {
		t.Fatalf("6 GiB: %d part URLs, want %d", n, want)
	}
}
