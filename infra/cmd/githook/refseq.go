package main

import (
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/refseq"
)

// updateSeqs returns the number of each update (by ref, old and new) as
// the reference-transaction hook recorded it (invariant 8,
// shared/githook/refseq). An update with no number is absent.
func updateSeqs(gitDir string) (map[githook.RefUpdate]int64, error) {
	seqs, err := refseq.Read(gitDir)
	if seqs == nil {
		return nil, err
	}
	out := make(map[githook.RefUpdate]int64, len(seqs))
	for u, n := range seqs {
		out[githook.RefUpdate{Old: u.Old, New: u.New, Ref: u.Ref}] = n
	}
	return out, err
}
