// Command githook-ref is the git server's reference-transaction hook
// (shared/githook/refhook): in the "prepared" state, with the refs' locks
// held, it numbers every update (invariant 8, shared/githook/refseq); in
// "committed" it hands the push to the indexer, `githook post-receive
// --detached` beside it, and returns. It links the standard library only,
// so that it starts in the time any Go program does: git starts it twice
// per push, and there is no post-receive hook to start. `githook install`
// links reference-transaction to it when it is beside githook, and to
// githook itself (the same code) when it is not.
package main

import (
	"fmt"
	"os"

	"github.com/hubsec/trustlayer/shared/githook/refhook"
)

func main() {
	indexer, err := refhook.Beside("githook")
	if err != nil {
		fmt.Fprintf(os.Stderr, "githook-ref: %v\n", err)
	}
	os.Exit(refhook.Run(os.Args[1:], os.Stdin, os.Stderr, os.Getenv("GIT_DIR"), indexer))
}
