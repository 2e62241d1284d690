package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/token"
)

// Invariant 11 (docs/invariants.md): no byte judged unsafe is served by
// any path. A push that adds a regular (non-LFS) file the engines judge
// infected (ClamAV, the blocklist) or dangerous (pickle imports,
// model-format findings) is refused, by the rule that gates downloads
// (scan.Verdict.Status), so such a file never enters git and git clone
// cannot deliver it. The commit API pushes its commits through this git
// server, so this one check holds for both paths. The hook reads the new
// blobs and asks the scanner function synchronously (a signed
// scan.PushCheckRequest); the engines run there, never here
// (infra/layout_test.go).
//
// Every regular file a push adds is judged: one over scan.MaxRegularFile
// (10 MiB) is refused with the Hub's advice to use Git LFS, where its
// object is scanned in the bucket before anyone may download it.

// modelExts are the extensions that name model files, for which the
// refusal suggests Git LFS.
var modelExts = map[string]bool{".pt": true, ".pth": true, ".bin": true, ".pkl": true, ".pickle": true, ".ckpt": true,
	".joblib": true, ".npy": true, ".npz": true, ".h5": true, ".keras": true, ".onnx": true, ".safetensors": true,
	".gguf": true, ".pb": true, ".msgpack": true, ".model": true, ".dill": true, ".pdparams": true, ".mar": true}

// staging is one push check's files staged in the bucket.
type staging struct {
	s      stager
	bucket string
	run    string
	keys   []string
}

// stager puts and deletes staged files (S3; stager.go and slim.go).
type stager interface {
	put(ctx context.Context, bucket, key string, data []byte) error
	del(ctx context.Context, bucket string, keys []string)
}

func (st *staging) put(ctx context.Context, id string, data []byte) (string, error) {
	key := scan.PushCheckPrefix + st.run + "/" + id
	if err := st.s.put(ctx, st.bucket, key, data); err != nil {
		return "", fmt.Errorf("the file could not be staged for its scan, so the push cannot be checked: %v", err)
	}
	st.keys = append(st.keys, key)
	return key, nil
}

// clean deletes the staged files; what it cannot delete the bucket's
// lifecycle rule expires.
func (st *staging) clean(ctx context.Context) {
	if len(st.keys) > 0 {
		st.s.del(ctx, st.bucket, st.keys)
	}
}

// judge judges the push's new regular files (not LFS pointers) as
// pre-receive reads them (readBlobs: one read of every blob serves the
// credential search and this), so no blob is read twice and no second
// cat-file process starts. Full batches go to the scanner while the
// reading goes on, one at a time (so at most two batches are held); the
// last goes with the push check (finish).
type judge struct {
	ctx  context.Context
	cfg  map[string]string
	name string // type/namespace/name

	c      *commits
	st     *staging
	batch  []scan.PushFile
	inline int
	big    []string
	busy   chan struct{} // held while a batch is with the scanner

	mu      sync.Mutex
	refused []scan.PushVerdict
	err     error // the first error: nothing more is judged
}

func newJudge(ctx context.Context, cfg map[string]string, repo githook.Repo) *judge {
	return &judge{ctx: ctx, cfg: cfg, name: repo.Type + "/" + repo.Namespace + "/" + repo.Name, busy: make(chan struct{}, 1)}
}

// tooBig records a regular file over scan.MaxRegularFile: the push is
// refused with the advice to use Git LFS, and nothing more is judged.
func (j *judge) tooBig(p string, n int64) {
	j.big = append(j.big, fmt.Sprintf("  %s (%.1f MiB)", token.Redact(p), float64(n)/(1<<20)))
}

// add judges one regular file's bytes (an LFS pointer is skipped: its
// object is scanned in the bucket).
func (j *judge) add(id, p string, data []byte) {
	if j.big != nil || j.failed() != nil || isPointer(data) {
		return
	}
	f := scan.PushFile{Path: p, Size: int64(len(data))}
	if len(data) > scan.PushCheckInline {
		if j.st == nil {
			bucket := j.cfg["trustlayer.bucket"]
			if bucket == "" {
				j.fail(fmt.Errorf("the git server is not configured: set trustlayer.bucket"))
				return
			}
			s, err := newStager(j.ctx, j.cfg)
			if err != nil {
				j.fail(err)
				return
			}
			j.st = &staging{s: s, bucket: bucket, run: randomID()}
		}
		var err error
		if f.Key, err = j.st.put(j.ctx, id, data); err != nil {
			j.fail(err)
			return
		}
	} else {
		if j.inline+len(data) > scan.PushCheckInline {
			j.send()
		}
		f.Data = data
		j.inline += len(data)
	}
	j.batch = append(j.batch, f)
}

func (j *judge) fail(err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		j.err = err
	}
}

func (j *judge) failed() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// send hands the batch to the scanner in the background, once the one
// before it is answered.
func (j *judge) send() {
	if len(j.batch) == 0 {
		return
	}
	batch := j.batch
	j.batch, j.inline = nil, 0
	j.busy <- struct{}{}
	go func() {
		defer func() { <-j.busy }()
		if j.failed() != nil {
			return
		}
		v, err := j.check(batch)
		if err != nil {
			j.fail(err)
			return
		}
		j.mu.Lock()
		j.refused = append(j.refused, v...)
		j.mu.Unlock()
	}()
}

// check asks the scanner about one batch: the verdicts that are not ok.
func (j *judge) check(batch []scan.PushFile) ([]scan.PushVerdict, error) {
	if j.c == nil {
		c, err := newCommits(j.ctx, j.cfg, "trustlayer.scannerfunction")
		if err != nil {
			return nil, err
		}
		j.c = c
	}
	var resp scan.PushCheckResponse
	if err := j.c.call(j.ctx, scan.PushCheckPath, scan.PushCheckRequest{Repo: j.name, Files: batch}, &resp); err != nil {
		return nil, err
	}
	if len(resp.Verdicts) != len(batch) {
		return nil, fmt.Errorf("the scanner answered %d verdicts for %d files, so the push cannot be checked", len(resp.Verdicts), len(batch))
	}
	var refused []scan.PushVerdict
	for _, v := range resp.Verdicts {
		if v.Status != scan.StatusOK {
			refused = append(refused, v)
		}
	}
	return refused, nil
}

// finish sends the last batch, waits for every answer, deletes what was
// staged, and returns the refusal lines (nil: every file is safe).
func (j *judge) finish() ([]string, error) {
	if j.big == nil {
		j.send()
	}
	j.busy <- struct{}{} // the last batch is answered
	<-j.busy
	if j.st != nil {
		j.st.clean(context.WithoutCancel(j.ctx))
	}
	if j.big != nil {
		return append(append([]string{
			fmt.Sprintf("Your push was rejected because it contains files larger than %d MiB:", scan.MaxRegularFile>>20)}, j.big...),
			"Please use Git LFS to store large files (git lfs track \"*.ext\", then git add and commit them again):",
			"LFS objects are scanned in the bucket and served only once judged safe."), nil
	}
	if err := j.failed(); err != nil {
		return nil, err
	}
	return refusalLines(j.refused), nil
}

// refusalLines explains the refused verdicts (nil when none).
func refusalLines(refused []scan.PushVerdict) []string {
	var unsafe, unjudged []string
	var track []string
	for _, v := range refused {
		p := token.Redact(v.Path)
		if v.Status == scan.StatusInfected {
			unsafe = append(unsafe, fmt.Sprintf("  %s: %s", p, v.Reason))
			if ext := strings.ToLower(path.Ext(v.Path)); modelExts[ext] && !slices.Contains(track, `"*`+ext+`"`) {
				track = append(track, `"*`+ext+`"`)
			}
		} else {
			unjudged = append(unjudged, fmt.Sprintf("  %s: %s", p, v.Reason))
		}
	}
	var lines []string
	if unsafe != nil {
		lines = append(lines, fmt.Sprintf("Your push was rejected: %d file(s) were judged unsafe, and no one may download a file judged unsafe:", len(unsafe)))
		lines = append(lines, unsafe...)
		lines = append(lines, "Remove these files from the commits you push (git rm --cached <file>, then amend or rebase) and push again.")
		if track != nil {
			lines = append(lines, "Model files belong in Git LFS (git lfs track "+strings.Join(track, " ")+"): there too they are scanned, and served only once judged safe.")
		}
	}
	if unjudged != nil {
		lines = append(lines, fmt.Sprintf("Your push was rejected: %d file(s) could not be judged, and a file enters git only once judged safe:", len(unjudged)))
		lines = append(lines, unjudged...)
		lines = append(lines, "Push again in a moment if the reason is an outage. A file that cannot be judged is never served, so it does not enter git.")
	}
	return lines
}

// isPointer reports whether b is exactly a git-lfs pointer as git-lfs
// writes it (version, oid, size: nothing else), so no other content
// passes unjudged under a pointer's first line.
func isPointer(b []byte) bool {
	if len(b) > lfsPointerMax {
		return false
	}
	p := parsePointer(b)
	return p != nil && string(b) == fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", p.OID, p.Size)
}

func discard(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
