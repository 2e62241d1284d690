// Command githook is the git server's hooks. `githook install <dir>`
// writes them into dir, the folder core.hooksPath names (install.go):
// pre-receive is a link to this program, which tells the hooks apart by
// the name it was run under (or by its first argument);
// reference-transaction (numbering ref updates, refseq.go) and
// post-receive (handing the push's file index and copies to a detached
// `githook post-receive --detached`) are shell scripts, which start in a
// fraction of the time this program takes. See docs/signed-commits.md, "At
// push time", and docs/git-server.md.
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
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// modelSigCommand is the full githook's model-signature check, which the
// light pre-receive build runs (slim.go).
const modelSigCommand = "check-model-signatures"

func main() {
	os.Exit(runHook(os.Args, os.Stdin, os.Stderr))
}

// runHook returns the exit status.
func runHook(args []string, stdin io.Reader, stderr io.Writer) int {
	// Every git process the hooks start reads objects as they are, never
	// through a replace ref (invariant 2: an object id names that content;
	// pushes of refs/replace/ are refused, this covers any made before).
	os.Setenv("GIT_NO_REPLACE_OBJECTS", "1")
	name, rest := filepath.Base(args[0]), args[1:]
	if name != "reference-transaction" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if name != "pre-receive" {
		return runOther(name, rest, stdin, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := preReceive(ctx, stdin, stderr)
	if err != nil && err != errRefused {
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
