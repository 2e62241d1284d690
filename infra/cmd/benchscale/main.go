// Command benchscale is `make bench-scale`: a Hub-shaped workload on the
// local stack's DynamoDB and git, with every table read and write counted
// at the store layer (a wrapper around the DynamoDB client that every
// store shares), per request kind and per partition key (issue 23.10).
//
// What runs, in this process, against DynamoDB Local:
//   - the authorizer's decision (authz.Authorizer.Decide) and the function
//     behind it (files.Service.Resolve), with the authorizer's context
//     passed as API Gateway passes it (JSON), exactly as the deployed
//     pair does; -instances pairs with their own in-memory caches stand
//     for concurrent Lambda instances, requests spread over them at random;
//   - downloads over Zipf-distributed repositories and tokens, a release
//     burst (every token pulling one model, as a fleet does), and
//     namespace listings;
//   - a real git repository of -files files (git fast-import), listed by
//     `git ls-tree -r` (the reference), indexed through files.Service.Index
//     as the asynchronous indexer does from a push manifest, then one file
//     changed and indexed again.
//
// Not through HTTP: the gateway, Lambda's process model and S3 are not in
// the counts (they cost no table reads). The push itself through the git
// server is e2e's TestBigPushIndexedAndPaged.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
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
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

type options struct {
	files, repos, users, orgs, requests, burst, instances, workers, listings int
	zipf                                                                     float64
	gatewayPush                                                              bool
}

func run() error {
	var o options
	flag.IntVar(&o.files, "files", 50000, "files of the big repository (a smaller size for a quick run)")
	flag.IntVar(&o.repos, "repos", 300, "repositories")
	flag.IntVar(&o.users, "users", 40, "users, each with one read token and a member of every organization")
	flag.IntVar(&o.orgs, "orgs", 4, "organizations (half of the repositories are theirs, private)")
	flag.IntVar(&o.requests, "requests", 4000, "Zipf downloads")
	flag.IntVar(&o.burst, "burst", 1000, "release-burst downloads of one model")
	flag.IntVar(&o.listings, "listings", 200, "namespace listings")
	flag.IntVar(&o.instances, "instances", 8, "authorizer+function instances (each with its own caches)")
	flag.IntVar(&o.workers, "workers", 8, "concurrent requests")
	flag.Float64Var(&o.zipf, "zipf", 1.1, "Zipf exponent s (> 1) over repositories and tokens")
	flag.BoolVar(&o.gatewayPush, "gateway-push", true, "also push the -files repository through the local gateway with git (needs the stack's gateway)")
	flag.Parse()
	ctx := context.Background()
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		return err
	}
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		return fmt.Errorf("AWS_ENDPOINT_URL_DYNAMODB is not set: run under the stack (make bench-scale)")
	}
	name := "benchscale-" + randid.Hex(4)
	if err := ddb.Shape.Ensure(ctx, awsconfig.DynamoDB(cfg), name); err != nil {
		return err
	}
	cnt := newCounter(awsconfig.DynamoDB(cfg))
	tbl := ddb.Table{DB: cnt, Name: name}
	fmt.Printf("# make bench-scale\n\n%s; %d repositories, %d users/tokens, %d orgs, Zipf s=%.2f, %d instances, %d workers; table %s on DynamoDB Local\n\n",
		time.Now().UTC().Format(time.RFC3339), o.repos, o.users, o.orgs, o.zipf, o.instances, o.workers, name)
	w, err := setup(ctx, tbl, o)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	cnt.reset()
	if err := w.traffic(ctx, cnt, o); err != nil {
		return err
	}
	if err := bigRepo(ctx, tbl, cnt, o); err != nil {
		return err
	}
	if !o.gatewayPush {
		return nil
	}
	gw, outbox, table := os.Getenv("TRUSTLAYER_GATEWAY_URL"), os.Getenv("TRUSTLAYER_OUTBOX_DIR"), os.Getenv("TRUSTLAYER_TABLE")
	if gw == "" || outbox == "" || table == "" {
		return fmt.Errorf("-gateway-push needs the stack's TRUSTLAYER_GATEWAY_URL, TRUSTLAYER_OUTBOX_DIR and TRUSTLAYER_TABLE (make bench-scale), or -gateway-push=false")
	}
	return gatewayPush(ctx, o, gw, outbox, table)
}

// ---- the store-layer counter ----

type counter struct {
	ddb.DB
	mu   sync.Mutex
	kind string
	// per kind: reads, writes; per partition key: reads+writes
	reads, writes map[string]int
	keys          map[string]int
	requests      map[string]int
}

func newCounter(db ddb.DB) *counter {
	c := &counter{DB: db}
	c.reset()
	return c
}

func (c *counter) reset() {
	c.mu.Lock()
	c.reads, c.writes, c.keys, c.requests = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	c.mu.Unlock()
}

// ctxKind carries the request kind to the counter.
type ctxKind struct{}

func kindOf(ctx context.Context) string {
	if k, ok := ctx.Value(ctxKind{}).(string); ok {
		return k
	}
	return "other"
}

func pkOf(m map[string]types.AttributeValue, attr string) string {
	if v, ok := m[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return "?"
}

func (c *counter) add(ctx context.Context, read bool, pk string, n int) {
	c.mu.Lock()
	k := kindOf(ctx)
	if read {
		c.reads[k] += n
	} else {
		c.writes[k] += n
	}
	c.keys[pk] += n
	c.mu.Unlock()
}

func (c *counter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add(ctx, true, pkOf(in.Key, "pk"), 1)
	return c.DB.GetItem(ctx, in, o...)
}

func (c *counter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for _, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			c.add(ctx, true, pkOf(k, "pk"), 1)
		}
	}
	return c.DB.BatchGetItem(ctx, in, o...)
}

func (c *counter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	pk := "?"
	if v, ok := in.ExpressionAttributeValues[":pk"].(*types.AttributeValueMemberS); ok {
		pk = v.Value
		if in.IndexName != nil {
			pk = *in.IndexName + ":" + pk
		}
	}
	c.add(ctx, true, pk, 1)
	return c.DB.Query(ctx, in, o...)
}

func (c *counter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.add(ctx, false, pkOf(in.Item, "pk"), 1)
	return c.DB.PutItem(ctx, in, o...)
}

func (c *counter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.add(ctx, false, pkOf(in.Key, "pk"), 1)
	return c.DB.UpdateItem(ctx, in, o...)
}

func (c *counter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.add(ctx, false, pkOf(in.Key, "pk"), 1)
	return c.DB.DeleteItem(ctx, in, o...)
}

func (c *counter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			c.add(ctx, false, pkOf(it.Put.Item, "pk"), 1)
		case it.Update != nil:
			c.add(ctx, false, pkOf(it.Update.Key, "pk"), 1)
		case it.Delete != nil:
			c.add(ctx, false, pkOf(it.Delete.Key, "pk"), 1)
		case it.ConditionCheck != nil:
			c.add(ctx, true, pkOf(it.ConditionCheck.Key, "pk"), 1)
		}
	}
	return c.DB.TransactWriteItems(ctx, in, o...)
}

func (c *counter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for _, rs := range in.RequestItems {
		for _, r := range rs {
			pk := "?"
			if r.PutRequest != nil {
				pk = pkOf(r.PutRequest.Item, "pk")
			} else if r.DeleteRequest != nil {
				pk = pkOf(r.DeleteRequest.Key, "pk")
			}
			c.add(ctx, false, pk, 1)
		}
	}
	return c.DB.BatchWriteItem(ctx, in, o...)
}

// ---- the world ----

type user struct {
	name, secret string
}

type world struct {
	users []user
	repos []repo.Repo
	paths []string
	pairs []pair
	repoS *repo.Service
}

// pair is one authorizer instance and one function instance.
type pair struct {
	a *authz.Authorizer
	f *files.Service
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func setup(ctx context.Context, tbl ddb.Table, o options) (*world, error) {
	start := time.Now()
	ids := identityddb.Store{Table: tbl}
	dir, err := os.MkdirTemp("", "benchscale-mail-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	idsvc := &identity.Service{Store: ids, Mailer: mail.Outbox{Dir: dir}, Log: quiet}
	orgs := orgddb.Store{Table: tbl}
	repos := repoddb.Store{Table: tbl}
	w := &world{paths: []string{"config.json", "model.safetensors", "README.md"}}
	var orgList []org.Org
	for i := 0; i < o.orgs; i++ {
		og := org.Org{ID: randid.New(), Name: fmt.Sprintf("Org%d-%s", i, randid.Hex(2)), CreatedAt: time.Now().UTC()}
		if err := orgs.CreateOrg(ctx, og, org.Member{User: "founder", UserID: "founder-id", Role: access.RoleAdmin, JoinedAt: og.CreatedAt}); err != nil {
			return nil, err
		}
		orgList = append(orgList, og)
	}
	for i := 0; i < o.users; i++ {
		name := fmt.Sprintf("u%d%s", i, randid.Hex(2))
		if _, _, err := idsvc.Signup(ctx, identity.SignupInput{Username: name, Email: name + "@example.com", Password: "long enough pw"}, ""); err != nil {
			return nil, err
		}
		_, _, u, err := idsvc.Login(ctx, name, "long enough pw", "")
		if err != nil {
			return nil, err
		}
		_, secret, err := idsvc.CreateToken(ctx, access.Caller{Kind: access.KindSession, UserID: u.ID, Username: u.Name}, identity.CreateTokenInput{Name: "t", Role: "read"})
		if err != nil {
			return nil, err
		}
		for _, og := range orgList {
			if err := orgs.PutMember(ctx, og, org.Member{User: u.Name, UserID: u.ID, Role: access.RoleRead, JoinedAt: og.CreatedAt}, "", "founder"); err != nil {
				return nil, err
			}
		}
		w.users = append(w.users, user{u.Name, secret.Reveal()})
	}
	idx, refs, scans := filesddb.Store{Table: tbl}, gitrefddb.Store{Table: tbl}, scanddb.Store{Table: tbl}
	for i := 0; i < o.repos; i++ {
		r := repo.Repo{ID: randid.New(), Type: access.RepoModel, Name: fmt.Sprintf("model-%04d", i), CreatedAt: time.Now().UTC()}
		r.LastModified = r.CreatedAt
		if i%2 == 0 {
			og := orgList[i/2%len(orgList)]
			r.Namespace, r.Owner, r.OwnerID, r.Private = og.Name, access.OwnerOrg, og.ID, true
		} else {
			// Public, owned by a user.
			u := w.users[i%len(w.users)]
			r.Namespace, r.Owner = u.name, access.OwnerUser
			ns, err := repos.Namespace(ctx, u.name)
			if err != nil {
				return nil, err
			}
			r.OwnerID = ns.ID
		}
		if err := repos.CreateRepo(ctx, r); err != nil {
			return nil, fmt.Errorf("repo %s: %w", r.Name, err)
		}
		commit := randid.Hex(20)
		var es []files.Entry
		for _, p := range w.paths {
			es = append(es, files.Entry{Path: p, Mode: "100644", Size: 42, BlobID: randid.Hex(20), SHA256: randid.Hex(32)})
		}
		if err := idx.PutCommit(ctx, r.ID, commit, es, time.Now()); err != nil {
			return nil, err
		}
		if err := refs.PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: time.Now()}); err != nil {
			return nil, err
		}
		for _, e := range es {
			obj := scan.ObjectRef{Bucket: "uploads", Key: files.ScanKey(r, e), VersionID: "v1", Size: e.Size}
			now := time.Now().UTC()
			if _, err := scans.Claim(ctx, obj, "run", now, now.Add(time.Hour)); err != nil {
				return nil, err
			}
			if err := scans.Complete(ctx, scan.Result{Object: obj, Status: scan.StatusOK, Run: "run", ScannedAt: now}); err != nil {
				return nil, err
			}
		}
		w.repos = append(w.repos, r)
	}
	settings, err := scan.LoadSettings(nil, time.Minute)
	if err != nil {
		return nil, err
	}
	w.repoS = &repo.Service{Store: repos, Orgs: orgs, Log: quiet}
	for i := 0; i < o.instances; i++ {
		a := &authz.Authorizer{Auth: idsvc, Facts: authz.JoinFacts(orgs, repos), Touch: ids, Log: quiet}
		f := &files.Service{Store: idx, Refs: refs, Repos: w.repoS, Results: scans, Scans: scans, Settings: settings, Bucket: "uploads", Log: quiet}
		w.pairs = append(w.pairs, pair{a, f})
	}
	fmt.Printf("setup: %s\n\n", time.Since(start).Round(time.Millisecond))
	return w, nil
}

// download runs one token-authenticated resolve through an instance pair.
func (w *world) download(ctx context.Context, p pair, u user, r repo.Repo, path string) error {
	out := p.a.Decide(ctx, authz.Request{Method: "GET", Path: "/" + r.Namespace + "/" + r.Name + "/resolve/main/" + path,
		Header: http.Header{"Authorization": {"Bearer " + u.secret}}})
	if !out.Allow {
		return out.Deny
	}
	raw, _ := json.Marshal(principal.Context(out.Caller, nil))
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	c, deny := principal.FromContext(m)
	if deny != nil {
		return deny
	}
	_, err := p.f.Resolve(ctx, files.ResolveInput{Caller: c, Type: r.Type, Namespace: r.Namespace, Name: r.Name, Revision: "main", Path: path})
	return err
}

type job struct {
	kind string
	// file names the repository and file a download reads ("" for other
	// requests): a download is warm when its instance pair served the
	// same file less than warmWithin ago, inside the 5 s caches.
	file string
	fn   func(ctx context.Context, p pair) error
}

// warmWithin is below the caches' 5 s bound (authz.FactsTTL,
// files.VerdictTTL) by a margin, so a request counted warm is one the
// caches were meant to serve.
const warmWithin = 4 * time.Second

const (
	allSuffix  = " — all"
	coldSuffix = " — cold"
	warmSuffix = " — warm"
)

func (w *world) traffic(ctx context.Context, cnt *counter, o options) error {
	rng := rand.New(rand.NewSource(1))
	zr := rand.NewZipf(rng, o.zipf, 1, uint64(len(w.repos)-1))
	zu := rand.NewZipf(rng, o.zipf, 1, uint64(len(w.users)-1))
	var jobs []job
	for i := 0; i < o.requests; i++ {
		r, u, p := w.repos[zr.Uint64()], w.users[zu.Uint64()], w.paths[rng.Intn(len(w.paths))]
		kind := "download, user repo (public)"
		if r.Owner == access.OwnerOrg {
			kind = "download, org repo (private)"
		}
		jobs = append(jobs, job{kind, r.ID + "/" + p, func(ctx context.Context, pr pair) error { return w.download(ctx, pr, u, r, p) }})
	}
	// The release burst: one org model, every token, as fast as possible.
	hot := w.repos[0]
	for i := 0; i < o.burst; i++ {
		u, p := w.users[i%len(w.users)], w.paths[i%len(w.paths)]
		jobs = append(jobs, job{"release burst (one model)", hot.ID + "/" + p, func(ctx context.Context, pr pair) error { return w.download(ctx, pr, u, hot, p) }})
	}
	for i := 0; i < o.listings; i++ {
		r, u := w.repos[zr.Uint64()], w.users[zu.Uint64()]
		jobs = append(jobs, job{"namespace listing", "", func(ctx context.Context, pr pair) error {
			_, err := w.repoS.List(ctx, access.Caller{Kind: access.KindSession, Username: u.name}, repo.ListInput{Type: access.RepoModel, Author: r.Namespace, Limit: 50})
			return err
		}})
	}
	// The burst arrives in the middle of the Zipf traffic.
	mid := o.requests / 2
	ordered := append(append(append([]job{}, jobs[:mid]...), jobs[o.requests:o.requests+o.burst]...), jobs[mid:o.requests]...)
	ordered = append(ordered, jobs[o.requests+o.burst:]...)
	start := time.Now()
	ch := make(chan job)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	errs := map[string]int{}
	var firstErr error
	var seenMu sync.Mutex
	lastSeen := make([]map[string]time.Time, len(w.pairs)) // per instance pair: file -> last request
	for i := range lastSeen {
		lastSeen[i] = map[string]time.Time{}
	}
	for i := 0; i < o.workers; i++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rr := rand.New(rand.NewSource(seed))
			for j := range ch {
				pi := rr.Intn(len(w.pairs))
				p := w.pairs[pi]
				label := j.kind
				if j.file != "" {
					now := time.Now()
					seenMu.Lock()
					last, ok := lastSeen[pi][j.file]
					lastSeen[pi][j.file] = now
					seenMu.Unlock()
					if ok && now.Sub(last) < warmWithin {
						label += warmSuffix
					} else {
						label += coldSuffix
					}
				}
				cnt.mu.Lock()
				cnt.requests[label]++
				cnt.mu.Unlock()
				if err := j.fn(context.WithValue(ctx, ctxKind{}, label), p); err != nil {
					errMu.Lock()
					errs[j.kind]++
					if firstErr == nil {
						firstErr = err
					}
					errMu.Unlock()
				}
			}
		}(int64(i))
	}
	for _, j := range ordered {
		ch <- j
	}
	close(ch)
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		return fmt.Errorf("%v failed requests, first: %w", errs, firstErr)
	}
	fmt.Printf("## Requests (%d in %s, loaded machine)\n\n", len(ordered), took.Round(time.Millisecond))
	fmt.Println("A download is *warm* when its instance pair served the same file less than", warmWithin, "before (inside the 5 s caches: the steady state of a file requested at least that often per instance), *cold* otherwise (an instance's first request for it, or a later one past the caches); *all* is both.")
	fmt.Println()
	fmt.Println("| request kind | requests | table reads | reads/request | table writes | writes/request |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	// Every label, and per download kind its total (cold + warm).
	type tally struct{ n, reads, writes int }
	rows := map[string]tally{}
	for k, n := range cnt.requests {
		rows[k] = tally{n, cnt.reads[k], cnt.writes[k]}
	}
	for k, t := range maps.Clone(rows) {
		base, ok := strings.CutSuffix(k, warmSuffix)
		if !ok {
			base, ok = strings.CutSuffix(k, coldSuffix)
		}
		if ok {
			a := rows[base+allSuffix]
			rows[base+allSuffix] = tally{a.n + t.n, a.reads + t.reads, a.writes + t.writes}
		}
	}
	var kinds []string
	for k := range rows {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	total := 0
	for _, k := range kinds {
		t := rows[k]
		fmt.Printf("| %s | %d | %d | %.2f | %d | %.2f |\n", k, t.n, t.reads, float64(t.reads)/float64(t.n), t.writes, float64(t.writes)/float64(t.n))
	}
	type kv struct {
		k string
		n int
	}
	var hot2 []kv
	for k, n := range cnt.keys {
		hot2 = append(hot2, kv{k, n})
		total += n
	}
	sort.Slice(hot2, func(i, j int) bool { return hot2[i].n > hot2[j].n })
	fmt.Printf("\nHottest partition keys (share of all %d reads and writes):\n\n| key | operations | share |\n|---|---:|---:|\n", total)
	for i := 0; i < 5 && i < len(hot2); i++ {
		fmt.Printf("| `%s` | %d | %.1f%% |\n", redactKey(hot2[i].k), hot2[i].n, 100*float64(hot2[i].n)/float64(total))
	}
	fmt.Println()
	return nil
}

// redactKey shortens a token hash in a key.
func redactKey(k string) string {
	if strings.HasPrefix(k, "TOKEN#") && len(k) > 18 {
		return k[:18] + "…"
	}
	return k
}

// ---- the big repository ----

// gitRunner runs git in dir, with standard input when given, as author
// and committer "b", with env added to the environment; secret, when not
// empty, is masked in its errors.
func gitRunner(dir, secret string, env ...string) func(stdin []byte, args ...string) ([]byte, error) {
	return func(stdin []byte, args ...string) ([]byte, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), env...), "GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@example.com", "GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@example.com")
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			msg := stderr.String()
			if secret != "" {
				msg = strings.ReplaceAll(msg, secret, "hf_***")
			}
			return nil, fmt.Errorf("git %s: %v: %s", args[0], err, msg)
		}
		return out, nil
	}
}

// fastImportCommit makes commit gen on main with git fast-import: the
// files numbered only, at pathOf(i) with content(i, gen), on top of main's
// tip from the second generation on.
func fastImportCommit(git func([]byte, ...string) ([]byte, error), gen int, only []int, pathOf func(int) string, content func(int, int) string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "commit refs/heads/main\ncommitter b <b@example.com> %d +0000\ndata 4\npush\n", 1700000000+gen)
	if gen > 0 {
		b.WriteString("from refs/heads/main^0\n")
	}
	for _, i := range only {
		c := content(i, gen)
		fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", pathOf(i), len(c), c)
	}
	_, err := git(b.Bytes(), "fast-import", "--quiet")
	return err
}

func bigRepo(ctx context.Context, tbl ddb.Table, cnt *counter, o options) error {
	dir, err := os.MkdirTemp("", "benchscale-git-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	git := gitRunner(dir, "")
	if _, err := git(nil, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	perDir := 500
	content := func(i int, gen int) string { return fmt.Sprintf("file %d generation %d\n", i, gen) }
	pathOf := func(i int) string { return fmt.Sprintf("d%03d/f%05d.txt", i/perDir, i) }
	commit := func(gen int, only []int) error { return fastImportCommit(git, gen, only, pathOf, content) }
	all := make([]int, o.files)
	for i := range all {
		all[i] = i
	}
	if err := commit(0, all); err != nil {
		return err
	}
	gens := map[int]int{}
	// The manifest the hook sends: every tree of the commit, as git
	// lists it.
	manifest := func() (files.IndexInput, time.Duration, error) {
		t0 := time.Now()
		out, err := git(nil, "ls-tree", "-r", "-t", "-l", "HEAD")
		if err != nil {
			return files.IndexInput{}, 0, err
		}
		took := time.Since(t0)
		root, err := git(nil, "rev-parse", "HEAD^{tree}", "HEAD")
		if err != nil {
			return files.IndexInput{}, 0, err
		}
		ids := strings.Fields(string(root))
		trees := map[string]*files.Tree{"": {ID: ids[0]}}
		var order []string
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			// <mode> SP <type> SP <id> SP+ <size> TAB <path>
			meta, p, _ := strings.Cut(sc.Text(), "\t")
			f := strings.Fields(meta)
			parent, name := "", p
			if i := strings.LastIndexByte(p, '/'); i >= 0 {
				parent, name = p[:i], p[i+1:]
			}
			n := files.Node{Name: name, Mode: f[0], ID: f[2]}
			if f[1] == "tree" {
				n.Mode = files.ModeTree
				trees[p] = &files.Tree{ID: f[2]}
				order = append(order, p)
			} else {
				var i int
				fmt.Sscanf(name, "f%05d.txt", &i)
				c := content(i, gens[i])
				h := sha256.Sum256([]byte(c))
				n.Size, n.SHA256 = int64(len(c)), hex.EncodeToString(h[:])
			}
			trees[parent].Nodes = append(trees[parent].Nodes, n)
		}
		in := files.IndexInput{Pusher: "bench", Type: access.RepoModel, PushedAt: time.Now(),
			Refs:    []files.RefTip{{Ref: "refs/heads/main", New: ids[1], Commit: ids[1]}},
			Commits: []files.CommitTree{{Commit: ids[1], Tree: ids[0]}}}
		for _, p := range append(order, "") {
			in.Trees = append(in.Trees, *trees[p])
		}
		return in, took, nil
	}
	// The reference: git ls-tree -r of the commit, as `git` itself lists it.
	lsTree := func() (time.Duration, int, error) {
		t0 := time.Now()
		out, err := git(nil, "ls-tree", "-r", "HEAD")
		return time.Since(t0), bytes.Count(out, []byte("\n")), err
	}
	ctx = context.WithValue(ctx, ctxKind{}, "index")
	repos := repoddb.Store{Table: tbl}
	orgs := orgddb.Store{Table: tbl}
	u := "bigrepo" + randid.Hex(3)
	og := org.Org{ID: randid.New(), Name: u, CreatedAt: time.Now().UTC()}
	if err := orgs.CreateOrg(ctx, og, org.Member{User: "founder", UserID: "founder-id", Role: access.RoleAdmin, JoinedAt: og.CreatedAt}); err != nil {
		return err
	}
	r := repo.Repo{ID: randid.New(), Type: access.RepoModel, Namespace: og.Name, Name: "big", Owner: access.OwnerOrg, OwnerID: og.ID, CreatedAt: og.CreatedAt, LastModified: og.CreatedAt}
	if err := repos.CreateRepo(ctx, r); err != nil {
		return err
	}
	svc := &files.Service{Store: filesddb.Store{Table: tbl}, Refs: gitrefddb.Store{Table: tbl}, Repos: &repo.Service{Store: repos, Orgs: orgs, Log: quiet}, Log: quiet}
	index := func(label string) error {
		in, _, err := manifest()
		if err != nil {
			return err
		}
		in.Namespace, in.Name = r.Namespace, r.Name
		ref, lines, err := lsTree()
		if err != nil {
			return err
		}
		cnt.reset()
		t0 := time.Now()
		res, err := svc.Index(ctx, in)
		took := time.Since(t0)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %d | %d | %d | %d | %s | %s (%d lines) | %.1fx |\n", label, o.files, res.Trees, cnt.writes["index"], cnt.reads["index"],
			took.Round(time.Millisecond), ref.Round(time.Millisecond), lines, float64(took)/float64(ref))
		return nil
	}
	fmt.Printf("## A %d-file repository (%d folders of %d)\n\n", o.files, (o.files+perDir-1)/perDir, perDir)
	fmt.Println("| push | files | trees stored | index writes | index reads | time to index | `git ls-tree -r` (reference) | ratio |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	if err := index("first push"); err != nil {
		return err
	}
	changed := o.files / 2
	gens[changed] = 1
	if err := commit(1, []int{changed}); err != nil {
		return err
	}
	if err := index("one file changed"); err != nil {
		return err
	}
	fmt.Println("\nIndex time is files.Service.Index on DynamoDB Local (the asynchronous indexer's work once it holds the manifest), on a loaded machine.")
	return nil
}
