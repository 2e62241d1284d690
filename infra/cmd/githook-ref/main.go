// Command githook-ref is the git server's reference-transaction hook
// (invariant 8: shared/githook/refseq). git starts it twice per push, in
// the "prepared" state with the refs' locks held, where it numbers every
// update, and in "committed" (or "aborted"), where it does nothing. It
// links the standard library only, so that it starts in the time any Go
// program does: one process where the shell script it replaces started
// five (sh, flock, date, awk, mv). `githook install` links
// reference-transaction to it when it is beside githook, and to githook
// itself (the same code) when it is not.
package main

import (
	"os"

	"github.com/hubsec/trustlayer/shared/githook/refseq"
)

func main() {
	os.Exit(refseq.Hook(os.Args[1:], os.Stdin, os.Stderr, os.Getenv("GIT_DIR")))
}
