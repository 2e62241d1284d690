package authz_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// readCounter counts the items read from the table, by the prefix of
// their partition key (TOKEN, REPO, ORG, ...): GetItem, every key of a
// BatchGetItem, and every Query (one read, whatever it returns).
type readCounter struct {
	ddb.DB
	mu    sync.Mutex
	reads map[string]int
}

func prefix(key map[string]types.AttributeValue) string {
	pk, _ := key["pk"].(*types.AttributeValueMemberS)
	if pk == nil {
		return "?"
	}
	p, _, _ := strings.Cut(pk.Value, "#")
	return p
}

func (c *readCounter) add(p string) {
	c.mu.Lock()
	c.reads[p]++
	c.mu.Unlock()
}

func (c *readCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads
	c.reads = map[string]int{}
	return r
}

func (c *readCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add(prefix(in.Key))
	return c.DB.GetItem(ctx, in, o...)
}

func (c *readCounter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for _, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			c.add(prefix(k))
		}
	}
	return c.DB.BatchGetItem(ctx, in, o...)
}

func (c *readCounter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	p := "?"
	if v, ok := in.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS); ok {
		p, _, _ = strings.Cut(v.Value, "#")
	}
	c.add(p)
	return c.DB.Query(ctx, in, o...)
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func show(m map[string]int) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, k+"="+itoa(v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// authorizationKeys are the items that say who may do what: the
// credential, the repository, the membership, the organization.
var authorizationKeys = map[string]bool{"TOKEN": true, "SESSION": true, "REPO": true, "ORG": true, "ORGPOLICY": true, "NAME": true, "USER": true}

func authReads(m map[string]int) int {
	n := 0
	for k, v := range m {
		if authorizationKeys[k] {
			n += v
		}
	}
	return n
}

// TestOrgDownloadReads: a download (resolve) of a file in an
// organization's private repository with a member's read token, through
// the authorizer, its context as API Gateway hands it on, and the
// uploads function's resolve, all on DynamoDB Local with every read
// counted at the store layer. The authorizer reads at most 3 items (the
// token, the repository, the membership; the token policy at most once
// per authz.PolicyTTL), and the function reads none of them again: only
// the download's own items (the ref, the file, the verdict). A removed
// member is refused on the next request.
func TestOrgDownloadReads(t *testing.T) {
	tbl := ddbtest.NewTable(t)
	cnt := &readCounter{DB: tbl.DB, reads: map[string]int{}}
	tbl.DB = cnt
	ctx := context.Background()
	ids := identityddb.Store{Table: tbl}
	idsvc := &identity.Service{Store: ids, Mailer: mail.Outbox{Dir: t.TempDir()}}
	user := "rd" + randid.Hex(4)
	if _, _, err := idsvc.Signup(ctx, identity.SignupInput{Username: user, Email: user + "@example.com", Password: "long enough pw"}, ""); err != nil {
		t.Fatal(err)
	}
	_, _, u, err := idsvc.Login(ctx, user, "long enough pw", "")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := idsvc.CreateToken(ctx, access.Caller{Kind: access.KindSession, UserID: u.ID, Username: u.Name}, identity.CreateTokenInput{Name: "t", Role: "read"})
	if err != nil {
		t.Fatal(err)
	}
	orgs := orgddb.Store{Table: tbl}
	o := org.Org{ID: randid.New(), Name: "Acme" + randid.Hex(3), CreatedAt: time.Now().UTC()}
	if err := orgs.CreateOrg(ctx, o, org.Member{User: "founder", UserID: "founder-id", Role: access.RoleAdmin, JoinedAt: o.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	if err := orgs.PutMember(ctx, o, org.Member{User: u.Name, UserID: u.ID, Role: access.RoleRead, JoinedAt: o.CreatedAt}, "", "founder"); err != nil {
		t.Fatal(err)
	}
	repos := repoddb.Store{Table: tbl}
	r := repo.Repo{ID: randid.New(), Type: access.RepoModel, Namespace: o.Name, Name: "Weights", Owner: access.OwnerOrg, OwnerID: o.ID,
		Private: true, CreatedAt: o.CreatedAt, LastModified: o.CreatedAt}
	if err := repos.CreateRepo(ctx, r); err != nil {
		t.Fatal(err)
	}
	// The file index, the ref and a final verdict, as a push and a scan
	// leave them.
	idx, refs, scans := filesddb.Store{Table: tbl}, gitrefddb.Store{Table: tbl}, scanddb.Store{Table: tbl}
	commit := randid.Hex(20)
	e := files.Entry{Path: "config.json", Mode: "100644", Size: 42, BlobID: randid.Hex(20), SHA256: randid.Hex(32)}
	if err := idx.PutCommit(ctx, r.ID, commit, []files.Entry{e}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := refs.PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	const bucket = "uploads"
	obj := scan.ObjectRef{Bucket: bucket, Key: files.ScanKey(r, e), VersionID: "v1", Size: e.Size}
	now := time.Now().UTC()
	if _, err := scans.Claim(ctx, obj, "run", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := scans.Complete(ctx, scan.Result{Object: obj, Status: scan.StatusOK, Run: "run", ScannedAt: now}); err != nil {
		t.Fatal(err)
	}
	settings, err := scan.LoadSettings(nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// One clock for the authorizer's and the function's caches, moved by
	// the test to show their bounds.
	var clockMu sync.Mutex
	clock := time.Now()
	clk := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	advance := func(d time.Duration) { clockMu.Lock(); clock = clock.Add(d); clockMu.Unlock() }
	a := &authz.Authorizer{Auth: idsvc, Facts: authz.JoinFacts(orgs, repos), Touch: ids, Log: quiet, Now: clk}
	repoSvc := &repo.Service{Store: repos, Orgs: orgs, Log: quiet}
	fsvc := &files.Service{Store: idx, Refs: refs, Repos: repoSvc, Results: scans, Scans: scans, Settings: settings, Bucket: bucket, Log: quiet, Now: clk}

	// The path spells the names in another letter case than the store.
	path := "/" + strings.ToLower(o.Name) + "/weights/resolve/main/config.json"
	download := func() (authorizer, function map[string]int, d files.Download, err error) {
		cnt.take()
		out := a.Decide(ctx, authz.Request{Method: "GET", Path: path, Header: http.Header{"Authorization": {"Bearer " + secret.Reveal()}}})
		authorizer = cnt.take()
		if !out.Allow {
			return authorizer, nil, d, out.Deny
		}
		// The context as API Gateway hands it to the function: JSON.
		raw, _ := json.Marshal(principal.Context(out.Caller, nil))
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		c, deny := principal.FromContext(m)
		if deny != nil {
			t.Fatalf("deferred denial: %v", deny)
		}
		d, err = fsvc.Resolve(ctx, files.ResolveInput{Caller: c, Type: access.RepoModel, Namespace: strings.ToLower(o.Name), Name: "weights", Revision: "main", Path: "config.json"})
		return authorizer, cnt.take(), d, err
	}

	first, firstFn, d, err := download()
	if err != nil || d.Key != obj.Key || d.VersionID != "v1" {
		t.Fatalf("first download: %+v %v", d, err)
	}
	advance(time.Second)
	az, fn, d, err := download()
	if err != nil || d.Key != obj.Key {
		t.Fatalf("second download: %+v %v", d, err)
	}
	t.Logf("first download: authorizer %d reads (%s), function %d (%s): %d", total(first), show(first), total(firstFn), show(firstFn), total(first)+total(firstFn))
	t.Logf("next download:  authorizer %d reads (%s), function %d (%s): %d", total(az), show(az), total(fn), show(fn), total(az)+total(fn))
	// The whole request, after the first of an instance: the token and
	// the membership (strongly consistent, every request) and the ref
	// (every request: a push moves it). The repository's facts, the file
	// of the immutable index and the final verdict come from memory.
	if n := total(az) + total(fn); n > 3 {
		t.Errorf("a download read %d items (authorizer %s, function %s), want at most 3", n, show(az), show(fn))
	}
	if az["TOKEN"] != 1 || az["ORG"] != 1 || fn["GITREF"] != 1 {
		t.Errorf("reads %s / %s: want the token and the membership each once, and the ref", show(az), show(fn))
	}
	// The first request of an instance also reads the repository, the
	// policy item, the file and the verdict.
	if n := total(first); n > 4 || first["ORGPOLICY"]+first["ORG"] > 2 {
		t.Errorf("first authorizer reads %s: want the token, the repository, the membership and the policy item", show(first))
	}
	if n := total(first) + total(firstFn); n > 8 {
		t.Errorf("first download read %d items, want at most 8 (token, repository, membership, policy; ref, commit mark, file, verdict)", n)
	}
	for _, f := range []map[string]int{firstFn, fn} {
		if n := authReads(f); n != 0 {
			t.Errorf("function re-read %d authorization items (%s), want 0: it trusts the authorizer's context", n, show(f))
		}
	}
	// The bounds: past FactsTTL the repository is read again, past
	// VerdictTTL the verdict, and never the file of the immutable index.
	advance(authz.FactsTTL)
	late, lateFn, _, err := download()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("download after %s: authorizer %s, function %s", authz.FactsTTL, show(late), show(lateFn))
	if late["REPO"] != 1 {
		t.Errorf("after FactsTTL the authorizer read %s, want the repository read again", show(late))
	}
	if files.VerdictTTL <= authz.FactsTTL && lateFn["SCAN"] != 1 {
		t.Errorf("after VerdictTTL the function read %s, want the verdict read again", show(lateFn))
	}
	// Reference, same run: the function's own authorization when it does
	// not trust the context (what it did before): repository, membership
	// and the organization's profile, twice.
	cnt.take()
	c := access.Caller{Kind: access.KindUserToken, UserID: u.ID, Username: u.Name, TokenID: "x", Role: access.TokenRead}
	if _, err := repoSvc.Authorize(ctx, c, access.RepoRead, access.RepoModel, o.Name, r.Name); err != nil {
		t.Fatal(err)
	}
	t.Logf("reference: the function's own repo.Authorize reads %s", show(cnt.take()))

	// Made public, the repository is read by anyone on the next request:
	// a denial is never made on cached facts. Made private again, an
	// anonymous reader keeps reading for at most FactsTTL.
	anon := func() bool {
		out := a.Decide(ctx, authz.Request{Method: "GET", Path: path})
		return out.Allow
	}
	if anon() {
		t.Fatal("an anonymous caller reads a private repository")
	}
	public, private := false, true
	if _, err := repos.UpdateRepo(ctx, r, repo.SettingsChange{Private: &public}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !anon() {
		t.Error("made public, the repository is still refused to an anonymous caller")
	}
	if _, err := repos.UpdateRepo(ctx, r, repo.SettingsChange{Private: &private}, time.Now()); err != nil {
		t.Fatal(err)
	}
	advance(authz.FactsTTL)
	if anon() {
		t.Errorf("made private, the repository is still read anonymously after %s", authz.FactsTTL)
	}

	// A member removed is refused on the next request: the role is read
	// every time (the repository's facts are cached, the role is not).
	if _, _, _, err := download(); err != nil {
		t.Fatal(err)
	}
	if err := orgs.RemoveMember(ctx, o, u.Name, access.RoleRead, "founder"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := download(); err == nil {
		t.Error("a removed member still downloads")
	}
}
