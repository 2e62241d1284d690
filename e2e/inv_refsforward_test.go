// Invariant 8 (docs/invariants.md): refs never go backwards. The git
// server numbers every ref update while git holds the ref's lock; the
// indexer writes a ref only when the number stored is smaller.

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestInvariantRefsNeverGoBackwards: two close pushes to main (B→C
// changes README.md, C→D removes x.txt) whose
// manifests the indexer receives out of order (the repository's own git
// config points its index invoke at no function, so the manifests wait
// in the bucket; the test delivers them as the sweeper does). D first:
// main is D. Then C, late: main stays D, and x.txt, removed in D, is not
// served. C's again: nothing moves. C's again without its numbers (an
// update nobody numbered): nothing moves. A later push indexed normally
// moves main on: the index is not stuck.
func TestInvariantRefsNeverGoBackwards(t *testing.T) {
	s := needStack(t)
	a := s.newAccount(t)
	auth := "Bearer " + a.token
	base := s.gateway + "/" + a.user + "/" + a.repo
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "user.email", a.user+"@example.com")
	git(t, dir, "config", "user.name", a.user)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(msg string) string {
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", msg)
		return strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	}
	push := func() { git(t, dir, "push", "-q", a.remote(s), "main") }
	write("README.md", "# B\n")
	write("x.txt", "removed in D\n")
	b := commit("B")
	push()
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, auth, "main", b)

	// The index invoke of this repository's pushes goes nowhere now.
	folder := gitFolder(t, "/api/models/"+a.user+"/"+a.repo, auth)
	git(t, dir, "config", "-f", filepath.Join(folder, "config"), "trustlayer.filesFunction", "NoSuchFunction")
	write("README.md", "# C\n")
	c := commit("C")
	push()
	os.Remove(filepath.Join(dir, "x.txt"))
	d := commit("D")
	push()
	// post-receive writes the manifests after git answered the pusher
	// (a detached process): the setting goes back once both are written.
	manifests := s.manifests(t, a)
	git(t, dir, "config", "-f", filepath.Join(folder, "config"), "--unset", "trustlayer.filesFunction")
	if len(manifests) != 2 {
		t.Fatalf("manifests waiting: %v, want the two pushes'", manifests)
	}
	// main's tip as the index answers it (the revision API, as
	// huggingface_hub reads it), and resolve of x.txt (removed in D).
	tip := func() (string, int) {
		t.Helper()
		var info struct {
			SHA string `json:"sha"`
		}
		if st := s.call(t, "GET", s.gateway+"/api/models/"+a.user+"/"+a.repo+"/revision/main", auth, nil, &info); st != 200 {
			t.Fatalf("revision main: %d", st)
		}
		x := fetch(t, "GET", base+"/resolve/main/x.txt", auth)
		return info.SHA, x.status
	}
	if got, _ := tip(); got != b {
		t.Fatalf("main before any delivery: %s, want B %s", got, b)
	}
	s.deliver(t, a, manifests[1]) // D's, first
	if got, x := tip(); got != d || x != 404 {
		t.Fatalf("after D's manifest: main %s, x.txt %d; want D %s and 404", got, x, d)
	}
	res := s.deliver(t, a, manifests[0]) // C's, late
	if got, x := tip(); got != d || x != 404 {
		t.Errorf("after C's manifest, late: main %s (C is %s), x.txt %d; want D %s and 404", got, c, x, d)
	}
	if res.StaleRefs != 1 || res.Refs != 0 {
		t.Errorf("C's late manifest: %+v, want its one ref update stale", res)
	}
	// Redelivery of a manifest already indexed moves nothing either.
	again := s.putManifestAgain(t, manifests[0], savedManifests[manifests[0]])
	if res := s.deliver(t, a, again); res.Gone || res.StaleRefs != 1 || res.Refs != 0 {
		t.Errorf("C's manifest twice: %+v, want its one ref update stale", res)
	}
	if got, _ := tip(); got != d {
		t.Errorf("after C's manifest twice: main %s, want D %s", got, d)
	}
	// An update nobody numbered (C's, its numbers stripped, as from a git
	// server whose hook could not number it) never replaces a numbered
	// one: fail closed.
	var unnumbered githook.Manifest
	if err := json.Unmarshal(savedManifests[manifests[0]], &unnumbered); err != nil {
		t.Fatal(err)
	}
	for i := range unnumbered.Refs {
		unnumbered.Refs[i].Seq = 0
	}
	raw, _ := json.Marshal(unnumbered)
	if res := s.deliver(t, a, s.putManifestAgain(t, manifests[0], raw)); res.Gone || res.StaleRefs != 1 || res.Refs != 0 {
		t.Errorf("C's manifest unnumbered: %+v, want its one ref update refused as stale", res)
	}
	if got, x := tip(); got != d || x != 404 {
		t.Errorf("after C's manifest unnumbered: main %s, x.txt %d; want D %s and 404", got, x, d)
	}
	// Not stuck: the next push, indexed as usual, moves main on.
	write("README.md", "# E\n")
	e := commit("E")
	push()
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, auth, "main", e)
	if got, _ := tip(); got != e {
		t.Errorf("after E: main %s, want E %s", got, e)
	}
}

// manifests lists the push manifests of a's repository waiting in the
// bucket, oldest first (their keys sort by time).
func (s stack) manifests(t *testing.T, a account) []string {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	prefix := githook.ManifestPrefix + "model/" + a.user + "/" + a.repo + "/"
	var keys []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		out, err := awsconfig.S3(cfg).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		keys = keys[:0]
		for _, o := range out.Contents {
			keys = append(keys, *o.Key)
		}
		if len(keys) >= 2 {
			break
		}
	}
	sort.Strings(keys)
	return keys
}

// saved keeps manifest bodies the test read, to put one back after the
// indexer deleted it.
var savedManifests = map[string][]byte{}

// deliver invokes the indexer on key, synchronously, as the sweeper's
// redelivery does, and returns its answer.
func (s stack) deliver(t *testing.T, a account, key string) githook.IndexResponse {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := savedManifests[key]; !ok {
		m, ok, err := (githookaws.Manifests{Client: awsconfig.S3(cfg), Bucket: s.bucket}).GetManifest(context.Background(), key)
		if err != nil || !ok {
			t.Fatalf("read manifest %s: %v %v", key, ok, err)
		}
		savedManifests[key] = m
	}
	// Signed with the stack's hook key, as the git server and the sweeper sign.
	ev, err := githookaws.Event([]byte(testenv.RequireEnv(t, "TRUSTLAYER_HOOK_SECRET")), githook.IndexPath, githook.IndexRequest{Key: key}, a.user)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if st := s.call(t, "POST", s.internal+"/2015-03-31/functions/UploadsFunction/invocations", "", json.RawMessage(ev), &out); st != http.StatusOK || out.StatusCode != 200 {
		t.Fatalf("index %s: %d %d %s", key, st, out.StatusCode, out.Body)
	}
	var res githook.IndexResponse
	if err := json.Unmarshal([]byte(out.Body), &res); err != nil {
		t.Fatalf("index %s: %v: %s", key, err, out.Body)
	}
	return res
}

// putManifestAgain writes body as a new manifest beside key (the local
// S3 server does not bring back an object written again under a key
// whose deletion left a delete marker), as a redelivery of one whose
// deletion failed would find it, and returns its key.
func (s stack) putManifestAgain(t *testing.T, key string, body []byte) string {
	t.Helper()
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		t.Fatalf("manifest %s was never read", key)
	}
	again := key + "-again-" + uniqueName("r")
	if err := (githookaws.Manifests{Client: awsconfig.S3(cfg), Bucket: s.bucket}).PutManifest(context.Background(), again, body); err != nil {
		t.Fatalf("put manifest %s: %v", again, err)
	}
	return again
}
