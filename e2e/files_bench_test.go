package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/scan"
)

// benchHTTP sends one request and returns status, headers and body.
func benchHTTP(b testing.TB, client *http.Client, method, url, auth, ct string, body []byte, hdr map[string]string) (int, http.Header, []byte) {
	b.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		b.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, out
}

// benchCommit commits lines through the commit API.
func benchCommit(b testing.TB, base, ns, name, auth string, lines ...map[string]any) string {
	b.Helper()
	var buf bytes.Buffer
	for _, l := range lines {
		j, _ := json.Marshal(l)
		buf.Write(j)
		buf.WriteByte('\n')
	}
	st, _, out := benchHTTP(b, http.DefaultClient, "POST", base+"/api/models/"+ns+"/"+name+"/commit/main", auth, "application/x-ndjson", buf.Bytes(), nil)
	var res struct{ CommitOid string }
	if st != 200 || json.Unmarshal(out, &res) != nil {
		b.Fatalf("commit: %d %s", st, out)
	}
	return res.CommitOid
}

// benchUploadLFS uploads data with the batch API's basic transfer (one
// presigned PUT) and returns its lfsFile commit line.
func benchUploadLFS(b testing.TB, base, ns, name, auth, path string, data []byte) map[string]any {
	b.Helper()
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	body, _ := json.Marshal(map[string]any{"operation": "upload", "transfers": []string{"basic"}, "objects": []map[string]any{{"oid": id, "size": len(data)}}})
	st, _, out := benchHTTP(b, http.DefaultClient, "POST", base+"/"+ns+"/"+name+".git/info/lfs/objects/batch", auth, "application/vnd.git-lfs+json", body, nil)
	var resp struct {
		Objects []struct {
			Actions map[string]*lfsAction
		}
	}
	if st != 200 || json.Unmarshal(out, &resp) != nil || len(resp.Objects) != 1 || resp.Objects[0].Actions["upload"] == nil {
		b.Fatalf("batch: %d %s", st, out)
	}
	up := resp.Objects[0].Actions["upload"]
	if st, _, out := benchHTTP(b, http.DefaultClient, "PUT", up.Href, "", "", data, up.Header); st != 200 {
		b.Fatalf("put: %d %s", st, out)
	}
	return map[string]any{"key": "lfsFile", "value": map[string]any{"path": path, "algo": "sha256", "oid": id, "size": len(data)}}
}

// waitVerdicts polls the expanded tree (every page of it) until every
// path has a final status, and returns how long it took from start.
func waitVerdicts(b testing.TB, base, ns, name, auth string, paths []string, start time.Time) time.Duration {
	b.Helper()
	type entry struct {
		Path     string
		Security *struct{ Status scan.Status }
	}
	var waiting []string
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		es, _ := listPages[entry](b, base+"/api/models/"+ns+"/"+name+"/tree/main?recursive=true&expand=true", auth)
		done := map[string]bool{}
		for _, e := range es {
			if e.Security != nil && e.Security.Status != scan.StatusPending {
				done[e.Path] = true
			}
		}
		waiting = nil
		for _, p := range paths {
			if !done[p] {
				waiting = append(waiting, p)
			}
		}
		if waiting == nil {
			return time.Since(start)
		}
	}
	b.Fatalf("no verdicts after 5 minutes for %d of %d paths: %.300v", len(waiting), len(paths), waiting)
	return 0
}

// BenchmarkFileAPI reports, through the local gateway: HEAD resolve p50/p99
// beside GET /api/health interleaved in the same run (goal: at most 1.5x);
// the time from a commit's answer to every file's verdict, for 10 small
// files and for one 100 MiB LFS file; and the bytes per second of a
// 100 MiB download through resolve's presigned redirect beside a direct
// S3 GetObject of the same object (1 GiB is too slow for this machine's
// shared disk and 2 cores).
// Run: make bench, or with a stack: go test ./e2e -run '^$' -bench FileAPI.
func BenchmarkFileAPI(b *testing.B) {
	h := newHub(b)
	bucket := testenv.RequireEnv(b, "TRUSTLAYER_BUCKET")
	// 10 small files in one commit: time from the answer to all verdicts.
	u, name, auth, tSmall := benchTenFiles(b, h, "fbench")

	// One 100 MiB LFS file.
	big := make([]byte, 100<<20)
	rand.New(rand.NewSource(5)).Read(big)
	lfsLine := benchUploadLFS(b, h.base, u.Name, name, auth, "model.bin", big)
	benchCommit(b, h.base, u.Name, name, auth, header("big", ""), lfsLine)
	tBig := waitVerdicts(b, h.base, u.Name, name, auth, []string{"model.bin"}, time.Now())
	b.Logf("commit answered -> every verdict: 10 small files %v, one 100 MiB file %v", tSmall.Round(time.Millisecond), tBig.Round(time.Millisecond))

	benchResolveVsHealth(b, h.base, u.Name, name, auth, "file03.json")

	// 100 MiB through the redirect beside a direct S3 GET, 3 rounds each.
	st, hdr, _ := benchHTTP(b, noRedirect, "HEAD", h.base+"/"+u.Name+"/"+name+"/resolve/main/model.bin", auth, "", nil, nil)
	if st != 302 {
		b.Fatalf("HEAD model.bin: %d", st)
	}
	key := hdr.Get("Location")
	key = key[strings.Index(key, "/lfs/")+1 : strings.Index(key, "?")]
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	s3c := awsconfig.S3(cfg)
	var viaRedirect, direct time.Duration
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		req, _ := http.NewRequest("GET", h.base+"/"+u.Name+"/"+name+"/resolve/main/model.bin", nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		viaRedirect += time.Since(t0)
		if res.StatusCode != 200 || n != int64(len(big)) {
			b.Fatalf("download: %d, %d bytes", res.StatusCode, n)
		}
		t0 = time.Now()
		obj, err := s3c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			b.Fatal(err)
		}
		n, _ = io.Copy(io.Discard, obj.Body)
		obj.Body.Close()
		direct += time.Since(t0)
		if n != int64(len(big)) {
			b.Fatalf("direct GET: %d bytes", n)
		}
	}
	mbps := func(d time.Duration) float64 { return 3 * float64(len(big)) / d.Seconds() / (1 << 20) }
	b.Logf("100 MiB download: through the presigned redirect %.0f MiB/s, direct S3 GET %.0f MiB/s, ratio %.2fx",
		mbps(viaRedirect), mbps(direct), mbps(viaRedirect)/mbps(direct))
}

// BenchmarkResolveHead is BenchmarkFileAPI's HEAD resolve figure alone
// (one commit of 10 small files, their verdicts, then HEAD resolve beside
// GET /api/health interleaved), without its 100 MiB parts.
// Run: go test ./e2e -run '^$' -bench ResolveHead.
func BenchmarkResolveHead(b *testing.B) {
	h := newHub(b)
	u, name, auth, _ := benchTenFiles(b, h, "rbench")
	benchResolveVsHealth(b, h.base, u.Name, name, auth, "file03.json")
}

// benchTenFiles signs up a user with a write token, creates a private
// model and commits 10 small files (file00.json … file09.json) through the
// commit API; it returns them and the time from the commit's answer to
// every file's verdict.
func benchTenFiles(b *testing.B, h *hubClient, prefix string) (u hubUser, name, auth string, verdicts time.Duration) {
	u = h.signup(prefix)
	tok, _ := h.token(u, "write")
	auth = "Bearer " + tok
	name = uniqueName("bench")
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": name, "type": "model", "private": true}), "create repo")
	lines := []map[string]any{header("ten files", "")}
	var small []string
	for i := 0; i < 10; i++ {
		p := fmt.Sprintf("file%02d.json", i)
		small = append(small, p)
		lines = append(lines, map[string]any{"key": "file", "value": map[string]any{"path": p,
			"content": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"n": %d}`, i))), "encoding": "base64"}})
	}
	benchCommit(b, h.base, u.Name, name, auth, lines...)
	return u, name, auth, waitVerdicts(b, h.base, u.Name, name, auth, small, time.Now())
}

// benchResolveVsHealth times HEAD resolve of path on main beside GET
// /api/health, interleaved, 200 of each (after 20 of each to warm up), and
// logs p50 and p99 of both and their ratios (goal: at most 1.3x).
func benchResolveVsHealth(b *testing.B, base, ns, name, auth, path string) {
	b.Helper()
	var head, health durations
	for i := 0; i < 220; i++ {
		t0 := time.Now()
		if st, _, _ := benchHTTP(b, noRedirect, "HEAD", base+"/"+ns+"/"+name+"/resolve/main/"+path, auth, "", nil, nil); st != 200 {
			b.Fatalf("HEAD resolve: %d", st)
		}
		dh := time.Since(t0)
		t0 = time.Now()
		if st, _, _ := benchHTTP(b, http.DefaultClient, "GET", base+"/api/health", "", "", nil, nil); st != 200 {
			b.Fatalf("health: %d", st)
		}
		if i >= 20 {
			head = append(head, dh)
			health = append(health, time.Since(t0))
		}
	}
	b.Logf("HEAD resolve p50 %v p99 %v; GET /api/health p50 %v p99 %v; ratio p50 %.2fx p99 %.2fx (goal <= 1.3x)",
		head.pct(.5).Round(time.Microsecond), head.pct(.99).Round(time.Microsecond), health.pct(.5).Round(time.Microsecond), health.pct(.99).Round(time.Microsecond),
		float64(head.pct(.5))/float64(health.pct(.5)), float64(head.pct(.99))/float64(health.pct(.99)))
	b.ReportMetric(float64(head.pct(.5))/float64(health.pct(.5)), "x-health-p50")
	b.ReportMetric(float64(head.pct(.99))/float64(health.pct(.99)), "x-health-p99")
}
