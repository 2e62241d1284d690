package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/hubsec/trustlayer/internal/githook"
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
	pusher := os.Getenv("REMOTE_USER")
	if pusher == "" {
		return errors.New("the git server did not say who is pushing (REMOTE_USER is empty)")
	}
	cfg := config()
	repo, err := currentRepo(cfg)
	if err != nil {
		return err
	}
	objs, err := newObjects(updates)
	if err != nil {
		return err
	}
	c, err := newCommits(ctx, cfg, "trustlayer.commitsfunction")
	if err != nil {
		return err
	}
	// One request per push, unless the push is larger than one request
	// can carry; then every part must be allowed.
	refused := githook.PreReceiveResponse{Allowed: true}
	for first := true; first || len(objs) > 0; first = false {
		n, size := 0, 0
		for n < len(objs) && (n == 0 || size+len(objs[n].Raw) <= maxRequestBytes) {
			size += len(objs[n].Raw)
			n++
		}
		req := githook.PreReceiveRequest{Pusher: pusher, Repo: repo, Refs: updates, Objects: objs[:n]}
		var resp githook.PreReceiveResponse
		if err := c.call(ctx, githook.PreReceivePath, req, &resp); err != nil {
			return err
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
	return nil
}
