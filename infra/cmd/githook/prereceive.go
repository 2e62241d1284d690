package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/token"
)

// errRefused is a refusal already explained on standard error.
var errRefused = errors.New("refused")

// maxRequestBytes keeps one request under Lambda's 6 MB synchronous
// payload (raw objects grow by a third in base64).
const maxRequestBytes = 3 << 20

func preReceive(ctx context.Context, stdin io.Reader, stderr io.Writer) error {
	updates, err := readUpdates(stdin)
	if err != nil {
		return err
	}
	if lines := refNameRefusals(updates); lines != nil {
		writeLines(stderr, lines)
		return errRefused
	}
	pusher := os.Getenv("REMOTE_USER")
	if pusher == "" {
		return errors.New("the git server did not say who is pushing (REMOTE_USER is empty)")
	}
	// Every process the hook needs starts at once: the two rev-lists,
	// git config and cat-file (each start costs more than its work).
	start := time.Now()
	ls := startLists(updates)
	defer ls.wait()
	cfgc := make(chan map[string]string, 1)
	go func() { cfgc <- config() }()
	cf, err := startCatFile()
	if err != nil {
		<-cfgc
		return err
	}
	defer cf.close()
	objs, blobs, err := newObjects(cf, updates, ls)
	cfg := <-cfgc
	if err != nil {
		return err
	}
	repo, err := currentRepo(cfg)
	if err != nil {
		return err
	}
	ph := newPhases(cfg, stderr)
	ph.last = start
	ph.done(fmt.Sprintf("pre-receive: configuration, list %d objects, %d blobs", len(objs), len(blobs)))
	// One read of every new blob: the credential search, and invariant
	// 11's judge, whose full batches go to the scanner meanwhile.
	j := newJudge(ctx, cfg, repo)
	secrets, err := readBlobs(cf, updates, objs, blobs, j)
	if cerr := cf.close(); err == nil {
		err = cerr
	}
	if err != nil {
		j.finish()
		return err
	}
	ph.done("pre-receive: read the new blobs")
	// The push check and the scanner's last batch at once: the pusher
	// waits for the slower of the two invokes, not for both.
	type judged struct {
		lines []string
		err   error
		took  time.Duration
	}
	jc := make(chan judged, 1)
	both := time.Now()
	go func() {
		lines, err := j.finish()
		jc <- judged{lines, err, time.Since(both)}
	}()
	refused, err := pushCheck(ctx, cfg, pusher, repo, updates, objs, secrets)
	checked := time.Since(both)
	unsafe := <-jc
	ph.took("pre-receive: push check (at once with the next)", checked)
	ph.took("pre-receive: judge new regular files (at once with the push check)", unsafe.took)
	ph.done("pre-receive: push check and new regular files")
	if err != nil {
		return err
	}
	if !refused.Allowed {
		writeLines(stderr, githook.RefusalLines(refused))
		return errRefused
	}
	// Invariant 11, after the push check's refusal (the push check
	// revokes credentials found even in a push refused here).
	if unsafe.err != nil {
		return unsafe.err
	}
	if unsafe.lines != nil {
		writeLines(stderr, unsafe.lines)
		return errRefused
	}
	if refused.RequireSignedModels {
		if err := checkModelSignatures(ctx, cfg, repo, updates, stderr); err != nil {
			return err
		}
		ph.done("pre-receive: model signature")
	}
	writeLines(stderr, githook.NoticeLines(refused))
	return nil
}

// pushCheck asks the commits function about the push: one request,
// unless the push is larger than one request can carry; then every part
// must be allowed.
func pushCheck(ctx context.Context, cfg map[string]string, pusher string, repo githook.Repo, updates []githook.RefUpdate, objs []githook.Object, secrets []githook.Secret) (githook.PreReceiveResponse, error) {
	refused := githook.PreReceiveResponse{Allowed: true}
	c, err := newCommits(ctx, cfg, "trustlayer.commitsfunction")
	if err != nil {
		return refused, err
	}
	// requireSignedModels is the repository's, the same in every answer.
	for first := true; first || len(objs) > 0; first = false {
		n, size := 0, 0
		for n < len(objs) && (n == 0 || size+len(objs[n].Raw) <= maxRequestBytes) {
			size += len(objs[n].Raw)
			n++
		}
		req := githook.PreReceiveRequest{Pusher: pusher, Repo: repo, Refs: updates, Objects: objs[:n]}
		if first {
			req.Secrets = secrets
		}
		var resp githook.PreReceiveResponse
		if err := c.call(ctx, githook.PreReceivePath, req, &resp); err != nil {
			return refused, err
		}
		if first {
			refused.Secrets, refused.SecretsBlock = resp.Secrets, resp.SecretsBlock
			refused.RequireSignedModels = resp.RequireSignedModels
		}
		if !resp.Allowed {
			refused.Allowed = false
			refused.Message = resp.Message
			refused.Rejected = append(refused.Rejected, resp.Rejected...)
		}
		objs = objs[n:]
	}
	return refused, nil
}

// refNameRefusals applies the ref-name rule (gitref.CheckRefUpdate,
// invariants 2 and 6 in docs/invariants.md) to every ref the push creates
// or moves, before anything else: the lines to print, or nil.
func refNameRefusals(updates []githook.RefUpdate) []string {
	var lines []string
	for _, u := range updates {
		if err := gitref.CheckRefUpdate(u.Ref, githook.ZeroID(u.New)); err != nil {
			lines = append(lines, "  "+u.Ref+": "+err.Error())
		}
	}
	if lines == nil {
		return nil
	}
	return append(append([]string{"Your push was rejected: a branch, tag or other ref name must mean one thing."}, lines...),
		"Name the ref otherwise and push again.")
}

// readBlobs reads every new blob once: it looks for our credentials
// (checksum-valid, see token.Finder) in the new blobs, in the names of
// files (the entries of the new trees, so a renamed old blob counts too),
// in the names of the refs pushed, and in the commit and tag objects
// (messages, and any header); a place that holds the credential is named
// with it masked. Each regular file's bytes also go to j (invariant 11).
func readBlobs(cf *catFiler, updates []githook.RefUpdate, objs []githook.Object, blobs []blobRef, j *judge) ([]githook.Secret, error) {
	var out []githook.Secret
	for _, u := range updates {
		f := token.NewFinder()
		f.Write([]byte(u.Ref))
		for _, h := range f.Close() {
			obj := u.New
			if githook.ZeroID(obj) {
				obj = u.Old
			}
			out = append(out, githook.Secret{Token: h.Token, Path: "name of ref " + token.Redact(u.Ref), Line: 1, Object: obj})
		}
	}
	for _, o := range objs {
		f := token.NewFinder()
		f.Write(o.Raw)
		for _, h := range f.Close() {
			out = append(out, githook.Secret{Token: h.Token, Line: h.Line, Object: o.ID})
		}
	}
	paths := map[string]string{}
	trees := map[string]bool{}
	ids := make([]string, 0, len(blobs))
	for _, b := range blobs {
		paths[b.id] = b.path
		trees[b.id] = b.tree
		ids = append(ids, b.id)
	}
	err := cf.batch("contents", ids, func(id, _ string, n int64, r io.Reader) error {
		f := token.NewFinder()
		switch {
		case trees[id]:
			if _, err := io.Copy(f, r); err != nil {
				return err
			}
		case n > scan.MaxRegularFile:
			// Refused whole (invariant 11); searched as it streams.
			j.tooBig(paths[id], n)
			if _, err := io.Copy(f, r); err != nil {
				return err
			}
		default:
			data := make([]byte, n)
			if _, err := io.ReadFull(r, data); err != nil {
				return err
			}
			f.Write(data)
			j.add(id, paths[id], data)
		}
		for _, h := range f.Close() {
			s := githook.Secret{Token: h.Token, Path: token.Redact(paths[id]), Line: h.Line, Object: id}
			if trees[id] {
				dir := token.Redact(paths[id])
				if dir == "" {
					dir = "/"
				}
				s.Path, s.Line = "a file name in folder "+dir, 1
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}
