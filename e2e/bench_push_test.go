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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/clamd"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/signature"
)

// BenchmarkPushHooks pushes the same n new signed commits into a
// repository with the hooks and into one whose own git config turns them
// off (core.hooksPath to an empty folder), in the same iterations, and
// reports both and the ratio. Two more references, in the same rounds,
// say where the floor is: the same push into a third repository whose
// hooks (pre-receive, reference-transaction, post-receive) are shell
// scripts that exit at once (what git's running of hooks costs by itself:
// ms/push-noop-hooks), and the work the push check cannot skip, done
// alone beside the stack: every new file through clamd (INSTREAM, as many
// at once as the scanner's push check) and every new commit's signature
// verified in process (ms/clamd-new-files, ms/verify-new-commits).
// x-plain-floor is (no-op hooks + that work) / plain.
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
			s.hooksOff(b, plain)
			noop := s.createRepo(b, map[string]any{})
			pathN := "/" + s.u.Name + "/" + noop + ".git"
			if out, err := s.push(b, r, pathN, "main"); err != nil {
				b.Fatalf("base push: %v\n%s", err, out)
			}
			noopDir := gitFolder(b, "/api/models/"+s.u.Name+"/"+noop, "Bearer "+s.token)
			noopHooks := filepath.Join(noopDir, "noop-hooks")
			os.MkdirAll(noopHooks, 0o755)
			for _, h := range []string{"pre-receive", "reference-transaction", "post-receive"} {
				if err := os.WriteFile(filepath.Join(noopHooks, h), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
					b.Fatal(err)
				}
			}
			if out, err := exec.Command("git", "config", "-f", filepath.Join(noopDir, "config"), "core.hooksPath", noopHooks).CombinedOutput(); err != nil {
				b.Fatalf("%v %s", err, out)
			}
			work := newPushWork(b, s)
			if os.Getenv("TRUSTLAYER_HOOK_TIMINGS") != "" {
				exec.Command("git", "config", "-f", filepath.Join(gitFolder(b, "/api/models/"+s.u.Name+"/"+hooked, "Bearer "+s.token), "config"), "trustlayer.timings", "true").Run()
			}
			var withHooks, without, noopHooked, scanned, verified, indexed, judged []time.Duration
			apiHooked := "/api/models/" + s.u.Name + "/" + hooked
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				prev := r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "rev-parse", "HEAD")
				var head string
				for j := 0; j < n; j++ {
					head = s.commit(r, true, fmt.Sprintf("c%d-%d", i, j))
				}
				added := strings.Fields(r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "diff", "--name-only", prev, head))
				// Alternate which goes first. After the hooked push, its
				// detached work (manifest, index, copies, scans: every new
				// file's verdict) is waited for outside the timer, so that
				// it does not land on the next push: the figure is the
				// pusher's wait, and the delays of the index and of the
				// verdicts are reported beside it (ms/indexed-after,
				// ms/judged-after).
				order := [][]string{{pathH, pathP, pathN}, {pathP, pathN, pathH}, {pathN, pathH, pathP}}[i%3]
				for _, p := range order {
					b.StartTimer()
					start := time.Now()
					out, err := s.push(b, r, p, "main")
					took := time.Since(start)
					b.StopTimer()
					if err != nil {
						b.Fatalf("push to %s: %v\n%s", p, err, out)
					}
					if p == pathP {
						without = append(without, took)
						continue
					}
					if p == pathN {
						noopHooked = append(noopHooked, took)
						continue
					}
					withHooks = append(withHooks, took)
					if os.Getenv("TRUSTLAYER_HOOK_TIMINGS") != "" {
						b.Logf("%s", out)
					}
					pushed := time.Now()
					waitIndexed(b, s.h.base, apiHooked, "Bearer "+s.token, "main", head)
					indexed = append(indexed, time.Since(pushed))
					judged = append(judged, waitVerdicts(b, s.h.base, s.u.Name, hooked, "Bearer "+s.token, added, pushed))
				}
				sc, ve := work.measure(b, r, prev, head, added)
				scanned, verified = append(scanned, sc), append(verified, ve)
			}
			floor := make([]time.Duration, len(without))
			for i := range withHooks {
				floor[i] = noopHooked[i] + scanned[i] + verified[i]
				b.Logf("round %d: with hooks %.1f ms, without %.1f ms, no-op hooks %.1f ms; clamd %.1f ms, verify %.1f ms alone; indexed %.1f ms, judged %.1f ms after",
					i, ms(withHooks[i]), ms(without[i]), ms(noopHooked[i]), ms(scanned[i]), ms(verified[i]), ms(indexed[i]), ms(judged[i]))
			}
			b.ReportMetric(ms(median(indexed)), "ms/indexed-after")
			b.ReportMetric(ms(median(judged)), "ms/judged-after")
			b.ReportMetric(ms(median(noopHooked)), "ms/push-noop-hooks")
			b.ReportMetric(ms(median(scanned)), "ms/clamd-new-files")
			b.ReportMetric(ms(median(verified)), "ms/verify-new-commits")
			b.ReportMetric(float64(median(noopHooked))/float64(median(without)), "x-plain-noop-hooks")
			b.ReportMetric(float64(median(floor))/float64(median(without)), "x-plain-floor")
			reportPair(b, withHooks, without, "push-hooks", "push-plain", "x-plain")
		})
	}
}

// pushWork is the work a hooked push cannot skip, done alone: clamd and
// signature verification, with the stack's clamd and the pusher's key.
type pushWork struct {
	av  *clamd.Client
	dir oneKey
}

func newPushWork(b *testing.B, s signer) pushWork {
	addr, ok := strings.CutPrefix(testenv.RequireEnv(b, "CLAMD_ADDRESS"), "tcp://")
	if !ok {
		b.Fatalf("CLAMD_ADDRESS is not tcp://")
	}
	return pushWork{av: &clamd.Client{Network: "tcp", Address: addr},
		dir: oneKey{key: signature.UploadedGPGKey{AccountID: "bench", ArmoredKey: s.g.Export(s.fpr), UploadedAt: time.Now().Add(-time.Hour)}, email: s.u.Email}}
}

// measure times clamd on the new files of head (as many at once as the
// scanner's push check) and the verification of prev..head's commits.
func (w pushWork) measure(b *testing.B, r *gittest.Repo, prev, head string, added []string) (scanned, verified time.Duration) {
	var files [][]byte
	for _, p := range added {
		files = append(files, r.CatFile("blob", head+":"+p))
	}
	var raws [][]byte
	for _, id := range strings.Fields(r.Git("", "", gittest.Signer{}, "rev-list", prev+".."+head)) {
		raws = append(raws, r.CatFile("commit", id))
	}
	start := time.Now()
	sem := make(chan struct{}, 4) // scanner.pushCheckParallel
	errs := make(chan error, len(files))
	for _, f := range files {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := w.av.Scan(b.Context(), bytes.NewReader(f))
			errs <- err
		}()
	}
	for range files {
		if err := <-errs; err != nil {
			b.Fatalf("clamd: %v", err)
		}
	}
	scanned = time.Since(start)
	start = time.Now()
	for _, raw := range raws {
		if _, err := signature.Verify(b.Context(), raw, signature.Commit, w.dir, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	return scanned, time.Since(start)
}

// hooksOff turns the hooks off in repository name of s's account, by its
// own git config (core.hooksPath to an empty folder): the reference push.
func (s signer) hooksOff(b *testing.B, name string) {
	dir := gitFolder(b, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token)
	noHooks := filepath.Join(dir, "no-hooks")
	os.MkdirAll(noHooks, 0o755)
	if out, err := exec.Command("git", "config", "-f", filepath.Join(dir, "config"), "core.hooksPath", noHooks).CombinedOutput(); err != nil {
		b.Fatalf("%v %s", err, out)
	}
}

// reportPair reports ours and the reference measured in the same rounds:
// the mean of each, the ratio of the totals, and the spread: the ratio of
// the medians and the quartiles of the per-round ratios.
func reportPair(b *testing.B, ours, ref []time.Duration, oursName, refName, ratioName string) {
	var so, sr time.Duration
	ratios := make([]float64, len(ours))
	for i := range ours {
		so += ours[i]
		sr += ref[i]
		ratios[i] = float64(ours[i]) / float64(ref[i])
	}
	b.ReportMetric(ms(so)/float64(len(ours)), "ms/"+oursName)
	b.ReportMetric(ms(sr)/float64(len(ref)), "ms/"+refName)
	b.ReportMetric(float64(so)/float64(sr), ratioName)
	slices.Sort(ratios)
	b.ReportMetric(float64(median(ours))/float64(median(ref)), ratioName+"-median")
	b.ReportMetric(ratios[len(ratios)/4], ratioName+"-round-q1")
	b.ReportMetric(ratios[(3*len(ratios))/4], ratioName+"-round-q3")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// median is the middle of d (the upper one of an even count).
func median(d []time.Duration) time.Duration {
	c := slices.Clone(d)
	slices.Sort(c)
	return c[len(c)/2]
}

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

// BenchmarkPushRegularFileCheck: the time invariant 11's check (every new
// regular file judged by the scanner at pre-receive) adds to a real push
// of 20 new small regular files through the gateway. The check cannot be
// turned off (it fails closed), so the reference is the same push minus
// what the check adds, from the hook's timings (trustlayer.timings): the
// check runs at the same time as the push check, so it adds the phase of
// both less the push check's own time (nothing when the push check is the
// slower); "without" = the push's wall time less that; the ratio is with
// / without.
func BenchmarkPushRegularFileCheck(b *testing.B) {
	testenv.RequireEnv(b, "TRUSTLAYER_GIT_ROOT")
	s := needStack(b)
	a := s.newAccount(b)
	dir := plainRepo(b)
	git(b, dir, "config", a.headerKey(s), a.authHeader())
	writeBytes(b, dir, "README.md", []byte("# bench\n"))
	git(b, dir, "add", "-A")
	git(b, dir, "commit", "-q", "-m", "base")
	if out, err := s.tryPush(b, a, dir); err != nil {
		b.Fatalf("base push: %v\n%s", err, out)
	}
	folder := gitFolder(b, "/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token)
	if out, err := exec.Command("git", "config", "-f", filepath.Join(folder, "config"), "trustlayer.timings", "true").CombinedOutput(); err != nil {
		b.Fatalf("%v %s", err, out)
	}
	phase := regexp.MustCompile(`timing: pre-receive: push check and new regular files ([0-9.]+) ms`)
	alone := regexp.MustCompile(`timing: pre-receive: push check \(at once with the next\) ([0-9.]+) ms`)
	var total, check time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range 20 {
			writeBytes(b, dir, fmt.Sprintf("r%d/f%02d.txt", i, j), []byte(fmt.Sprintf("round %d file %d\n%s", i, j, strings.Repeat("text ", 200))))
		}
		git(b, dir, "add", "-A")
		git(b, dir, "commit", "-q", "-m", fmt.Sprintf("round %d", i))
		b.StartTimer()
		start := time.Now()
		out, err := s.tryPush(b, a, dir)
		d := time.Since(start)
		if err != nil {
			b.Fatalf("push: %v\n%s", err, out)
		}
		m, p := phase.FindStringSubmatch(out), alone.FindStringSubmatch(out)
		if m == nil || p == nil {
			b.Fatalf("no timing of the check in:\n%s", out)
		}
		both, _ := strconv.ParseFloat(m[1], 64)
		pc, _ := strconv.ParseFloat(p[1], 64)
		total += d
		check += time.Duration(max(0, both-pc) * float64(time.Millisecond))
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((total/n).Microseconds())/1000, "ms/push")
	b.ReportMetric(float64((check/n).Microseconds())/1000, "ms/check")
	b.ReportMetric(float64(total)/float64(total-check), "ratio")
	b.Logf("push of 20 new regular files: %v with the check, %v without it (same pushes less the check's phase), ratio %.2fx, over %d pushes",
		(total / n).Round(time.Millisecond), ((total - check) / n).Round(time.Millisecond), float64(total)/float64(total-check), b.N)
}

// BenchmarkPushManyRefs: the pusher's wait for a push of n new tags on a
// commit the server has (no new objects: what costs is the refs), into a
// repository with the hooks, as git pushes by default (not atomic: git
// runs one ref transaction, so one reference-transaction hook in each
// state, per ref) and with --atomic (one transaction), beside the same
// non-atomic push into a repository without hooks, in the same rounds.
// The hooked push's detached indexing of the tags is waited for outside
// the timer.
func BenchmarkPushManyRefs(b *testing.B) {
	testenv.RequireEnv(b, "TRUSTLAYER_GIT_ROOT")
	s := newSigner(b)
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("refs=%d", n), func(b *testing.B) {
			hooked, atomic, plain := s.createRepo(b, map[string]any{}), s.createRepo(b, map[string]any{}), s.createRepo(b, map[string]any{})
			paths := map[string]string{}
			for _, name := range []string{hooked, atomic, plain} {
				paths[name] = "/" + s.u.Name + "/" + name + ".git"
			}
			r := s.g.NewRepo(uniqueName("bench"), "sha1")
			s.commit(r, true, "base")
			for _, p := range paths {
				if out, err := s.push(b, r, p, "main"); err != nil {
					b.Fatalf("base push: %v\n%s", err, out)
				}
			}
			s.hooksOff(b, plain)
			head := r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "rev-parse", "HEAD")
			var each, atomically, without []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var refs []string
				for j := 0; j < n; j++ {
					tag := fmt.Sprintf("r%d-t%d", i, j)
					r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "tag", tag, head)
					refs = append(refs, "refs/tags/"+tag)
				}
				order := [][]string{{hooked, atomic, plain}, {plain, hooked, atomic}, {atomic, plain, hooked}}[i%3]
				for _, name := range order {
					args := refs
					if name == atomic {
						args = append([]string{"--atomic"}, refs...)
					}
					b.StartTimer()
					start := time.Now()
					out, err := s.push(b, r, paths[name], args...)
					took := time.Since(start)
					b.StopTimer()
					if err != nil {
						b.Fatalf("push of %d tags to %s: %v\n%s", n, name, err, out)
					}
					switch name {
					case plain:
						without = append(without, took)
						continue
					case atomic:
						atomically = append(atomically, took)
					default:
						each = append(each, took)
					}
					waitIndexed(b, s.h.base, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token, fmt.Sprintf("r%d-t%d", i, n-1), head)
				}
			}
			for i := range each {
				b.Logf("round %d: %d tags with hooks %.1f ms, --atomic %.1f ms, without hooks %.1f ms", i, n, ms(each[i]), ms(atomically[i]), ms(without[i]))
			}
			b.ReportMetric(ms(median(atomically)), "ms/push-hooks-atomic")
			b.ReportMetric(float64(median(atomically))/float64(median(without)), "x-plain-atomic-median")
			b.ReportMetric(ms(median(each)-median(without))/float64(n), "ms/ref-added")
			reportPair(b, each, without, "push-hooks", "push-plain", "x-plain")
		})
	}
}
