package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/githook"
)

// Invariant 8 (docs/invariants.md): refs never go backwards in the index.
// git moves a ref only while it holds the ref's lock, and only from the
// old value the pusher saw; the reference-transaction hook runs in the
// "prepared" state with those locks held. There it numbers each update in
// the repository's refSeqFile (hooks/reference-transaction.sh, a shell
// script: git runs it twice a push): a later update of a ref always gets a
// larger number. post-receive looks up the numbers of its updates and
// puts them in the manifest (githook.RefTip.Seq); the indexer writes a ref
// only when the number stored is smaller. So two close pushes whose
// manifests are indexed out of order, late or twice leave the ref at the
// newer tip, and a lost manifest is superseded by the next update of the
// ref.

// refSeqFile (in the git dir) holds one line per numbered update,
// "<seq> <old> <new> <ref>", the last refSeqKeep of them. The hook
// replaces it whole (rename) under an exclusive flock of refSeqFile.lock,
// so a reader needs no lock.
const (
	refSeqFile = "trustlayer-refseq"
	refSeqKeep = 4096
)

// updateSeqs returns the number of each update (by ref, old and new) as
// the reference-transaction hook recorded it; the largest when the same
// move was made more than once (the same values, so the newest is as
// true). An update with no number is absent.
func updateSeqs(gitDir string) (map[githook.RefUpdate]int64, error) {
	b, err := os.ReadFile(filepath.Join(gitDir, refSeqFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[githook.RefUpdate]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 4 {
			continue
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			continue
		}
		k := githook.RefUpdate{Old: fs[1], New: fs[2], Ref: fs[3]}
		if n > out[k] {
			out[k] = n
		}
	}
	return out, sc.Err()
}
