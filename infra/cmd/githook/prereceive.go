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
	// The configuration is read (a process) while the objects are listed.
	start := time.Now()
	cfgc := make(chan map[string]string, 1)
	go func() { cfgc <- config() }()
	cf, err := startCatFile()
	if err != nil {
		<-cfgc
		return err
	}
	objs, blobs, err := newObjects(cf, updates)
	cfg := <-cfgc
	if err != nil {
		cf.close()
		return err
	}
	repo, err := currentRepo(cfg)
	if err != nil {
		cf.close()
		return err
	}
	ph := newPhases(cfg, stderr)
	ph.last = start
	ph.done(fmt.Sprintf("pre-receive: configuration, list %d objects, %d blobs", len(objs), len(blobs)))
	secrets, err := findSecrets(cf, updates, objs, blobs)
	if cerr := cf.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	ph.done("pre-receive: search for credentials")
	defer ph.done("pre-receive: push check")
	c, err := newCommits(ctx, cfg, "trustlayer.commitsfunction")
	if err != nil {
		return err
	}
	// One request per push, unless the push is larger than one request
	// can carry; then every part must be allowed.
	refused := githook.PreReceiveResponse{Allowed: true}
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
			return err
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
	if !refused.Allowed {
		writeLines(stderr, githook.RefusalLines(refused))
		return errRefused
	}
	// Invariant 11: after the push check (which revokes credentials
	// found even in a push refused here), before anything else.
	unsafe, err := unsafeFiles(ctx, cfg, repo, blobs)
	if err != nil {
		return err
	}
	ph.done("pre-receive: judge new regular files")
	if unsafe != nil {
		writeLines(stderr, unsafe)
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
	return append(append([]string{"Your push was rejected: a branch or tag name must mean one thing."}, lines...),
		"Name the branch or tag otherwise and push again.")
}

// findSecrets looks for our credentials (checksum-valid, see
// token.Finder) in the new blobs, in the names of files (the entries of
// the new trees, so a renamed old blob counts too), in the names of the
// refs pushed, and in the commit and tag objects (messages, and any
// header). A place that holds the credential is named with it masked.
func findSecrets(cf *catFiler, updates []githook.RefUpdate, objs []githook.Object, blobs []blobRef) ([]githook.Secret, error) {
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
	err := cf.batch("contents", ids, func(id, _ string, _ int64, r io.Reader) error {
		f := token.NewFinder()
		if _, err := io.Copy(f, r); err != nil {
			return err
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
