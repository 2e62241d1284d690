//go:build !githook_prereceive

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/refseq"
)

// runOther runs githook as anything but pre-receive: the hooks a server
// links to the program instead of installing the scripts, the detached
// post-receive, and the commands (install.go).
func runOther(name string, rest []string, stdin io.Reader, stderr io.Writer) int {
	switch name {
	case "reference-transaction":
		// githook-ref's work, for a server that links the hook here;
		// it fails closed in "prepared".
		return refseq.Hook(rest, stdin, stderr, os.Getenv("GIT_DIR"))
	case "install":
		if len(rest) != 1 {
			fmt.Fprintln(stderr, "usage: githook install <hooks folder>")
			return 2
		}
		if err := install(rest[0], stderr); err != nil {
			fmt.Fprintf(stderr, "githook install: %v\n", err)
			return 1
		}
		return 0
	case "post-receive":
		if len(rest) > 0 && rest[0] == "--detached" {
			// Started by the post-receive script in a session of its
			// own: git has answered the pusher; no deadline of the
			// push applies, its output is the log.
			if err := postReceiveDetached(stdin, stderr); err != nil {
				logf(stderr, "post-receive: %v", err)
				return 1
			}
			return 0
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := postReceive(ctx, stdin, stderr); err != nil {
			// The refs have moved: git ignores this hook's status.
			writeLines(stderr, []string{"warning: the file index and scans of this push are not updated: " + err.Error()})
			return 1
		}
		return 0
	case "upload-blobs":
		// Detached by post-receive; no deadline of the push applies.
		if err := uploadBlobs(context.Background(), stdin, stderr); err != nil {
			fmt.Fprintf(stderr, "upload-blobs: %v\n", err)
			return 1
		}
		return 0
	case "stage":
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return stageCommand(ctx, rest, stdin, stderr)
	case modelSigCommand:
		// The light pre-receive's model-signature check (slim.go).
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		updates, err := readUpdates(stdin)
		if err == nil {
			cfg := config()
			var repo githook.Repo
			if repo, err = currentRepo(cfg); err == nil {
				err = checkModelSignatures(ctx, cfg, repo, updates, stderr)
			}
		}
		if err != nil && err != errRefused {
			writeLines(stderr, []string{"push refused: " + err.Error()})
		}
		if err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "githook: run as pre-receive, post-receive or reference-transaction, or githook install <dir> (got %q)\n", name)
	return 2
}
