#!/bin/sh
# trustlayer's reference-transaction hook, written by `githook install`
# (infra/cmd/githook/install.go; invariant 8 in docs/invariants.md).
#
# git runs it twice per push. In the "prepared" state, with the lock of
# every ref the transaction moves held, githook-ref numbers each update
# (shared/githook/refseq) and fails closed: an update it cannot number is
# refused, and git aborts the whole transaction. The other states need
# nothing, and a shell answers them in about half the time a Go program
# starts in.
[ "$1" = prepared ] || exit 0
exec @GITHOOK_REF@ "$@"
