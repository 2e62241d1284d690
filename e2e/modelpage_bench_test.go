package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/modelcard"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// BenchmarkModelPage measures, interleaved in the same run through the
// local gateway and authorizer, anonymous on a public repository:
//   - the repository page (a 20 KiB model card with 3 evaluation results,
//     and the root folder of 2,000 files in 50 folders with each folder's
//     scan counts) beside the JSON list of the same folder
//     (tree/main?expand=true); goal ≤ 1.2x p50;
//   - the eval-results answer beside GET /api/health; goal ≤ 1.3x p50.
//
// The index, the verdicts (all ok) and the card are written straight in
// the table as a push and the scanner leave them. The first visit of each
// is left out (it fills the caches: folder counts are computed once per
// tree).
// Run: make bench, or with a stack: go test ./e2e -run '^$' -bench ModelPage.
func BenchmarkModelPage(b *testing.B) {
	h := newHub(b)
	bucket := testenv.RequireEnv(b, "TRUSTLAYER_BUCKET")
	table := testenv.RequireEnv(b, "TRUSTLAYER_TABLE")
	u := h.signup("mpbench")
	name := uniqueName("page")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "type": "model", "private": false}), "create repo")
	seedFolders(b, table, bucket, u.Name, name, 50, 40)

	// The client accepts gzip (Go's transport asks for it and decodes it,
	// as browsers do) unless a case says identity.
	identity := map[string]string{"Accept-Encoding": "identity"}
	cases := []struct {
		name, ours, ref string
		hdr             map[string]string
	}{
		{"repo-page-2000-files-20KiB-card", "/" + u.Name + "/" + name, "/api/models/" + u.Name + "/" + name + "/tree/main?expand=true", nil},
		{"repo-page-uncompressed", "/" + u.Name + "/" + name, "/api/models/" + u.Name + "/" + name + "/tree/main?expand=true", identity},
		{"eval-results", "/api/models/" + u.Name + "/" + name + "/eval-results/main", "/api/health", nil},
	}
	fetchWith := func(path string, hdr map[string]string) (time.Duration, int) {
		t0 := time.Now()
		st, _, body := benchHTTP(b, http.DefaultClient, "GET", h.base+path, "", "", nil, hdr)
		d := time.Since(t0)
		if st != 200 {
			b.Fatalf("GET %s: %d %.300s", path, st, body)
		}
		return d, len(body)
	}
	fetch := func(path string) (time.Duration, int) { return fetchWith(path, nil) }
	// What the page must show, checked once; and its size on the wire.
	_, _, page := benchHTTP(b, http.DefaultClient, "GET", h.base+cases[0].ours, "", "", nil, nil)
	_, hdr, wire := benchHTTP(b, http.DefaultClient, "GET", h.base+cases[0].ours, "", "", nil, map[string]string{"Accept-Encoding": "gzip"})
	b.Logf("repository page: %d B, %d B on the wire (Content-Encoding %q)", len(page), len(wire), hdr.Get("Content-Encoding"))
	for _, want := range []string{"Evaluation results", "Verified source", "Unverified source", "f00/", "f49/", "2002 files", "40 files", "Section 40"} {
		if !strings.Contains(string(page), want) {
			b.Fatalf("the repository page does not show %q", want)
		}
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var ours, ref durations
			var oursBytes, refBytes int
			fetchWith(c.ours, c.hdr)
			fetch(c.ref)
			for i := 0; i < b.N; i++ {
				for j := 0; j < 20; j++ {
					d, n := fetchWith(c.ours, c.hdr)
					ours, oursBytes = append(ours, d), n
					d, n = fetch(c.ref)
					ref, refBytes = append(ref, d), n
				}
			}
			b.ReportMetric(ms(ours.pct(0.5)), "ours-p50-ms")
			b.ReportMetric(ms(ours.pct(0.99)), "ours-p99-ms")
			b.ReportMetric(ms(ref.pct(0.5)), "ref-p50-ms")
			b.ReportMetric(ms(ref.pct(0.99)), "ref-p99-ms")
			b.ReportMetric(float64(ours.pct(0.5))/float64(ref.pct(0.5)), "ours/ref-p50")
			b.ReportMetric(float64(ours.pct(0.99))/float64(ref.pct(0.99)), "ours/ref-p99")
			b.Logf("%s: ours p50 %.2f ms p99 %.2f ms (%d B); reference %s p50 %.2f ms p99 %.2f ms (%d B); ratio p50 %.2fx p99 %.2fx (%d pairs)",
				c.name, ms(ours.pct(0.5)), ms(ours.pct(0.99)), oursBytes, c.ref, ms(ref.pct(0.5)), ms(ref.pct(0.99)), refBytes,
				float64(ours.pct(0.5))/float64(ref.pct(0.5)), float64(ours.pct(0.99))/float64(ref.pct(0.99)), len(ours))
		})
	}
}

// seedFolders writes, straight in the table, a commit on main indexed by
// tree: folders folders of perFolder files (and README.md and
// config.json at the root), each file scanned ok as the scanner records
// it, and a model card of about 20 KiB with three evaluation results, one
// of them from a verified commit.
func seedFolders(b *testing.B, table, bucket, ns, name string, folders, perFolder int) {
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	t := ddb.Table{DB: awsconfig.DynamoDB(cfg), Name: table}
	ctx := context.Background()
	r, err := repoddb.Store{Table: t}.Repo(ctx, access.RepoModel, ns, name)
	if err != nil {
		b.Fatal(err)
	}
	hash := func(s string) (string, string) {
		sum := sha256.Sum256([]byte(ns + "/" + name + "/" + s))
		return hex.EncodeToString(sum[:20]), hex.EncodeToString(sum[:])
	}
	var trees []files.Tree
	var keys []string
	node := func(path, base string) files.Node {
		id, sha := hash(path)
		n := files.Node{Name: base, Mode: "100644", ID: id, Size: int64(100 + len(path)), SHA256: sha}
		keys = append(keys, files.ScanKey(r, files.NodeEntry(path, n)))
		return n
	}
	var root []files.Node
	for d := 0; d < folders; d++ {
		dir := fmt.Sprintf("f%02d", d)
		var nodes []files.Node
		for f := 0; f < perFolder; f++ {
			nodes = append(nodes, node(fmt.Sprintf("%s/part-%02d.txt", dir, f), fmt.Sprintf("part-%02d.txt", f)))
		}
		id, _ := hash("tree " + dir)
		trees = append(trees, files.Tree{ID: id, Nodes: nodes})
		root = append(root, files.Node{Name: dir, Mode: files.ModeTree, ID: id})
	}
	root = append(root, node("README.md", "README.md"), node("config.json", "config.json"))
	rootID, _ := hash("tree root")
	trees = append(trees, files.Tree{ID: rootID, Nodes: root})
	commit, _ := hash("commit")
	store := filesddb.Store{Table: t}
	if _, err := store.PutTrees(ctx, r.ID, trees); err != nil {
		b.Fatal(err)
	}

	// Every file judged ok, 8 at a time.
	scans := scanddb.Store{Table: t}
	now := time.Now().UTC()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, 8)
	for i, key := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, key string) {
			defer func() { <-sem; wg.Done() }()
			ref := scan.ObjectRef{Bucket: bucket, Key: key, VersionID: "v1", ETag: "e"}
			run := fmt.Sprintf("bench-%d", i)
			_, err := scans.Claim(ctx, ref, run, now, now.Add(time.Hour))
			if err == nil {
				err = scans.Complete(ctx, scan.Result{Object: ref, Status: scan.StatusOK, ScannedAt: now, Run: run})
			}
			if err != nil {
				mu.Lock()
				first = err
				mu.Unlock()
			}
		}(i, key)
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}

	// A card of ~20 KiB: prose, a table and code, as model cards are.
	var body strings.Builder
	body.WriteString("# Bench model\n\nA sentiment model, for the benchmark of the repository page.\n\n")
	for i := 1; body.Len() < 20<<10; i++ {
		fmt.Fprintf(&body, "## Section %d\n\nThis model was trained on *IMDB* with a **learning rate** of 2e-5 for %d epochs; see [the paper](https://example.org/paper-%d).\n\n", i, i, i)
		fmt.Fprintf(&body, "| split | accuracy | f1 |\n|---|---|---|\n| test | 0.9%02d | 0.8%02d |\n\n```python\nfrom transformers import pipeline\np = pipeline(\"sentiment-analysis\", model=\"%s/%s\")\n```\n\n", i, i, ns, name)
	}
	date := now.Add(-time.Hour)
	verified := files.Verification{Status: "verified", Reason: "valid", Signer: &files.Signer{Type: "gpg", KeyID: "ABCDEF0123456789", Name: ns, Email: ns + "@example.com"}}
	unsigned := files.Verification{Status: "unsigned", Reason: "unsigned"}
	task := modelcard.Task{Type: "text-classification"}
	ds := modelcard.Dataset{Type: "imdb", Name: "IMDB", Split: "test"}
	card := files.Card{
		Data: map[string]any{"license": "apache-2.0", "tags": []any{"sentiment"}},
		Body: body.String(),
		Evals: []files.EvalResult{
			{Task: task, Dataset: ds, Metric: modelcard.MetricValue{Type: "accuracy", Name: "Accuracy", Value: 0.931}, Source: files.Source{Commit: commit, AuthorName: ns, Date: &date, Lines: [2]int{10, 12}, Verification: verified}},
			{Task: task, Dataset: ds, Metric: modelcard.MetricValue{Type: "f1", Name: "F1", Value: 0.918}, Source: files.Source{Commit: commit, AuthorName: ns, Date: &date, Lines: [2]int{13, 15}, Verification: unsigned}},
			{Task: task, Dataset: ds, Metric: modelcard.MetricValue{Type: "precision", Name: "Precision", Value: 0.902}, Source: files.Source{Commit: commit, AuthorName: ns, Date: &date, Lines: [2]int{16, 18}, Verification: unsigned}},
		},
	}
	if err := store.PutCard(ctx, r.ID, commit, card); err != nil {
		b.Fatal(err)
	}
	if err := store.MarkCommit(ctx, r.ID, commit, rootID, len(trees)+1, now); err != nil {
		b.Fatal(err)
	}
	if err := (gitrefddb.Store{Table: t}).PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: now, UpdatedBy: ns}); err != nil {
		b.Fatal(err)
	}
}
