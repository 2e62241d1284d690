// Benchmarks of trust at push time, through the local stack: the time the
// hooks add to a real git push, and the push check's throughput.

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/signature"
)

// BenchmarkPushHooks pushes the same n new signed commits into a
// repository with the hooks and into one whose own git config turns them
// off (core.hooksPath to an empty folder), in the same iterations, and
// reports both and the ratio.
func BenchmarkPushHooks(b *testing.B) {
	testenv.RequireEnv(b, "TRUSTLAYER_GIT_ROOT")
	s := newSigner(b)
	for _, n := range []int{1, 200} {
		b.Run(fmt.Sprintf("commits=%d", n), func(b *testing.B) {
			hooked, plain := s.createRepo(b, map[string]any{}), s.createRepo(b, map[string]any{})
			pathH, pathP := "/"+s.u.Name+"/"+hooked+".git", "/"+s.u.Name+"/"+plain+".git"
			r := s.g.NewRepo(uniqueName("bench"), "sha1")
			s.commit(r, true, "base")
			for _, p := range []string{pathH, pathP} {
				if out, err := s.push(b, r, p, "main"); err != nil {
					b.Fatalf("base push: %v\n%s", err, out)
				}
			}
			plainDir := gitFolder(b, "/api/models/"+s.u.Name+"/"+plain, "Bearer "+s.token)
			noHooks := filepath.Join(plainDir, "no-hooks")
			os.MkdirAll(noHooks, 0o755)
			if out, err := exec.Command("git", "config", "-f", filepath.Join(plainDir, "config"), "core.hooksPath", noHooks).CombinedOutput(); err != nil {
				b.Fatalf("%v %s", err, out)
			}
			if os.Getenv("TRUSTLAYER_HOOK_TIMINGS") != "" {
				exec.Command("git", "config", "-f", filepath.Join(gitFolder(b, "/api/models/"+s.u.Name+"/"+hooked, "Bearer "+s.token), "config"), "trustlayer.timings", "true").Run()
			}
			var withHooks, without time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for j := 0; j < n; j++ {
					s.commit(r, true, fmt.Sprintf("c%d-%d", i, j))
				}
				b.StartTimer()
				// Alternate which goes first: the hooked push leaves copies
				// and scans running in the background, which slow whatever
				// runs next on this machine.
				order := []string{pathH, pathP}
				if i%2 == 1 {
					order = []string{pathP, pathH}
				}
				for _, p := range order {
					start := time.Now()
					out, err := s.push(b, r, p, "main")
					if err != nil {
						b.Fatalf("push to %s: %v\n%s", p, err, out)
					}
					if p == pathH {
						withHooks += time.Since(start)
						if os.Getenv("TRUSTLAYER_HOOK_TIMINGS") != "" {
							b.Logf("%s", out)
						}
					} else {
						without += time.Since(start)
					}
				}
			}
			b.ReportMetric(ms(withHooks)/float64(b.N), "ms/push-hooks")
			b.ReportMetric(ms(without)/float64(b.N), "ms/push-plain")
			b.ReportMetric(float64(withHooks)/float64(without), "x-plain")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkPushCheck200 sends the pre-receive check of 200 new signed
// commits to the commits function as the hook does (Lambda invoke on the
// local endpoint; a new repository each time, so every record is
// written), beside signature.Verify of the same commits in process, and
// reports the time per commit and the ratio.
func BenchmarkPushCheck200(b *testing.B) {
	internal := testenv.RequireEnv(b, "TRUSTLAYER_INTERNAL_URL")
	hookKey := testenv.RequireEnv(b, "TRUSTLAYER_HOOK_SECRET") // the git server's calls are signed
	s := newSigner(b)
	r := s.g.NewRepo("check", "sha1")
	var objs []githook.Object
	for j := 0; j < 200; j++ {
		id := s.commit(r, true, fmt.Sprintf("c%d", j))
		objs = append(objs, githook.Object{Type: "commit", ID: id, Raw: r.CatFile("commit", id)})
	}
	dir := oneKey{key: signature.UploadedGPGKey{AccountID: "bench", ArmoredKey: s.g.Export(s.fpr), UploadedAt: time.Now().Add(-time.Hour)}, email: s.u.Email}
	var ours, ref time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := s.createRepo(b, map[string]any{})
		body, _ := json.Marshal(githook.PreReceiveRequest{Pusher: s.u.Name, Repo: githook.Repo{Type: "model", Namespace: s.u.Name, Name: name}, Objects: objs})
		ev, err := githookaws.Event([]byte(hookKey), githook.PreReceivePath, json.RawMessage(body), s.u.Name)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := http.Post(internal+"/2015-03-31/functions/CommitsFunction/invocations", "application/json", bytes.NewReader(ev))
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		ours += time.Since(start)
		var out events.APIGatewayV2HTTPResponse
		if json.Unmarshal(raw, &out) != nil || out.StatusCode != 200 {
			b.Fatalf("push check: %d %s", res.StatusCode, raw)
		}
		var resp githook.PreReceiveResponse
		if err := json.Unmarshal([]byte(out.Body), &resp); err != nil || resp.Recorded != 200 {
			b.Fatalf("push check: %s", out.Body)
		}
		// Reference: the verification alone, in process, keys from a
		// directory that answers at once.
		start = time.Now()
		for _, o := range objs {
			if _, err := signature.Verify(b.Context(), o.Raw, signature.Commit, dir, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		ref += time.Since(start)
	}
	b.ReportMetric(float64(ours.Microseconds())/float64(b.N*200), "µs/commit")
	b.ReportMetric(float64(ref.Microseconds())/float64(b.N*200), "µs/commit-verify-only")
	b.ReportMetric(float64(ours)/float64(ref), "x-verify-only")
}

// oneKey is a directory holding one account's key and verified email.
type oneKey struct {
	key   signature.UploadedGPGKey
	email string
}

func (d oneKey) GPGKeysByID(context.Context, uint64) ([]signature.UploadedGPGKey, error) {
	return []signature.UploadedGPGKey{d.key}, nil
}
func (d oneKey) SSHKeysByFingerprint(context.Context, string) ([]signature.UploadedSSHKey, error) {
	return nil, nil
}
func (d oneKey) EmailOwner(_ context.Context, email string) (string, bool, bool, error) {
	return d.key.AccountID, true, strings.EqualFold(email, d.email), nil
}
