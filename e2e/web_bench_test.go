package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

type durations []time.Duration

func (l durations) pct(p float64) time.Duration {
	s := append(durations(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// BenchmarkWebPages measures the repository page with 1,000 files and the
// token list with 100 tokens beside the JSON API call that feeds each,
// interleaved in the same run, through the local gateway and authorizer
// (so both sides pay the same hop). It reports p50/p99 and their ratios,
// and each page's weight: HTML bytes plus its stylesheet and script (3
// requests; the JSON answer is 1).
// Run: make bench, or with a stack: go test ./e2e -run '^$' -bench WebPages.
func BenchmarkWebPages(b *testing.B) {
	h := newHub(b)
	bucket := testenv.RequireEnv(b, "TRUSTLAYER_BUCKET")
	table := testenv.RequireEnv(b, "TRUSTLAYER_TABLE")
	u := h.signup("bench")
	for i := 0; i < 100; i++ {
		h.token(u, "read")
	}
	repoName := uniqueName("big")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": repoName, "type": "model"}), "create repo")
	seedFiles(b, table, bucket, u.Name, repoName, 1000)

	pages := []struct{ name, page, api string }{
		{"repo-1000-files", "/" + u.Name + "/" + repoName, "/api/models/" + u.Name + "/" + repoName + "/tree/main?recursive=true&expand=true"},
		{"tokens-100", "/settings/tokens", "/api/settings/tokens"},
	}
	fetch := func(path string, cookie bool) (time.Duration, int) {
		req, _ := http.NewRequest("GET", h.base+path, nil)
		if cookie {
			req.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: u.Session})
		} else {
			req.Header.Set("Authorization", u.bearer())
		}
		t0 := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		d := time.Since(t0)
		if res.StatusCode != 200 {
			b.Fatalf("GET %s: %d %.200s", path, res.StatusCode, body)
		}
		return d, len(body)
	}
	_, css := fetch("/static/app.css", true)
	_, js := fetch("/static/app.js", true)
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var page, api durations
			var pageBytes, apiBytes int
			fetch(p.page, true) // first visits queue nothing here: every file has a result
			for i := 0; i < b.N; i++ {
				for j := 0; j < 20; j++ {
					d, n := fetch(p.page, true)
					page, pageBytes = append(page, d), n
					d, n = fetch(p.api, false)
					api, apiBytes = append(api, d), n
				}
			}
			b.ReportMetric(ms(page.pct(0.5)), "page-p50-ms")
			b.ReportMetric(ms(page.pct(0.99)), "page-p99-ms")
			b.ReportMetric(ms(api.pct(0.5)), "api-p50-ms")
			b.ReportMetric(ms(api.pct(0.99)), "api-p99-ms")
			b.ReportMetric(float64(page.pct(0.5))/float64(api.pct(0.5)), "page/api-p50")
			b.ReportMetric(float64(page.pct(0.99))/float64(api.pct(0.99)), "page/api-p99")
			b.ReportMetric(float64(pageBytes+css+js), "page-bytes")
			b.ReportMetric(float64(apiBytes), "api-bytes")
			b.Logf("%s: page p50 %.2f ms p99 %.2f ms (%d B html + %d B css + %d B js, 3 requests); JSON p50 %.2f ms p99 %.2f ms (%d B); ratio p50 %.2fx p99 %.2fx",
				p.name, ms(page.pct(0.5)), ms(page.pct(0.99)), pageBytes, css, js, ms(api.pct(0.5)), ms(api.pct(0.99)), apiBytes,
				float64(page.pct(0.5))/float64(api.pct(0.5)), float64(page.pct(0.99))/float64(api.pct(0.99)))
		})
	}
}

// seedFiles records, straight in the table, a commit of n files on the
// repository's main branch in the file index, each queued for scanning
// (pending, far from its deadline): the pages read them as they would after
// a push of n files.
func seedFiles(b *testing.B, table, bucket, ns, name string, n int) {
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
	scans := scanddb.Store{Table: t}
	now := time.Now().UTC()
	entries := make([]files.Entry, n)
	for i := range entries {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", ns, name, i)))
		entries[i] = files.Entry{Path: fmt.Sprintf("shards/part-%04d.bin", i), Mode: "100644", Size: int64(1000 + i),
			BlobID: hex.EncodeToString(sum[:20]), SHA256: hex.EncodeToString(sum[:])}
		if _, err := scans.Queue(ctx, scan.ObjectRef{Bucket: bucket, Key: files.ScanKey(r, entries[i])}, now, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	commit := strings.Repeat("c", 40)
	if err := (filesddb.Store{Table: t}).PutCommit(ctx, r.ID, commit, entries, now); err != nil {
		b.Fatal(err)
	}
	if err := (gitrefddb.Store{Table: t}).PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: now, UpdatedBy: ns}); err != nil {
		b.Fatal(err)
	}
}
