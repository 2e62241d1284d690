// Command githook is the git server's pre-receive and post-receive hook.
// Install it (or a link to it) as hooks/pre-receive, hooks/post-receive
// and hooks/reference-transaction of every repository, or point
// core.hooksPath at a folder holding the three links; it tells them apart
// by the name it was run under (or by its first argument). The
// reference-transaction hook numbers ref updates (refseq.go). See docs/signed-commits.md, "At push time".
//
// pre-receive lists the push's new commits and tags, sends them in one
// request to the commits function, which verifies and records them and
// decides the push; a refusal is printed (git shows it as "remote:" lines)
// and the hook exits 1, so git leaves every ref unchanged. Anything that
// prevents a decision (no pusher, the function unreachable or failing)
// refuses the push too: the hook fails closed.
//
// Configuration, from git config (system, then the repository's):
//
//	trustlayer.commitsFunction  name or ARN of the commits function (required)
//	trustlayer.filesFunction    name or ARN of the uploads function (file index)
//	trustlayer.lambdaEndpoint   Lambda endpoint URL (local stack; AWS: unset)
//	trustlayer.projectRoot      folder the repositories live under
//	                            (else $GIT_PROJECT_ROOT, as git http-backend sets)
//
// The pusher is $REMOTE_USER, which the git server sets from the principal
// the gateway signed. AWS credentials and region come from the
// environment (the git server's IAM role).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	os.Exit(runHook(os.Args, os.Stdin, os.Stderr))
}

// runHook returns the exit status.
func runHook(args []string, stdin io.Reader, stderr io.Writer) int {
	name, rest := filepath.Base(args[0]), args[1:]
	if name != "reference-transaction" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name == "reference-transaction" {
		// git passes the transaction's state; a failure in "prepared"
		// aborts the transaction (fail closed, see referenceTransaction).
		state := ""
		if len(rest) > 0 {
			state = rest[0]
		}
		if referenceTransaction(state, stdin, stderr) != nil {
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var err error
	switch name {
	case "pre-receive":
		err = preReceive(ctx, stdin, stderr)
	case "post-receive":
		err = postReceive(ctx, stdin, stderr)
	case "upload-blobs":
		// Detached by post-receive; no deadline of the push applies.
		if err := uploadBlobs(context.Background(), stdin, stderr); err != nil {
			fmt.Fprintf(stderr, "upload-blobs: %v\n", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "githook: run as pre-receive or post-receive (got %q)\n", name)
		return 2
	}
	if err != nil && err != errRefused {
		if name == "post-receive" {
			// The refs have moved: git ignores this hook's status.
			writeLines(stderr, []string{"warning: the file index and scans of this push are not updated: " + err.Error()})
			return 1
		}
		writeLines(stderr, []string{"push refused: " + err.Error()})
	}
	if err != nil {
		return 1
	}
	return 0
}

func writeLines(w io.Writer, lines []string) {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}
