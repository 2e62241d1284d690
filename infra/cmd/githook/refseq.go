package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hubsec/trustlayer/shared/githook"
)

// Invariant 8 (docs/invariants.md): refs never go backwards in the index.
// git moves a ref only while it holds the ref's lock, and only from the
// old value the pusher saw; the reference-transaction hook runs in the
// "prepared" state with those locks held. There it numbers each update in
// the repository's refSeqFile (under an exclusive flock): a later update
// of a ref always gets a larger number. post-receive looks up the numbers
// of its updates and puts them in the manifest (githook.RefTip.Seq); the
// indexer writes a ref only when the number stored is smaller. So two
// close pushes whose manifests are indexed out of order, late or twice
// leave the ref at the newer tip, and a lost manifest is superseded by the
// next update of the ref.

// refSeqFile (in the git dir) holds one line per numbered update,
// "<seq> <old> <new> <ref>", the last refSeqKeep of them.
const (
	refSeqFile = "trustlayer-refseq"
	refSeqKeep = 4096
)

// referenceTransaction is the reference-transaction hook. In the
// "prepared" state it fails closed: an update it cannot number (its input
// unreadable, the numbers file unwritable) is refused, and git then
// aborts the whole transaction, so no ref moves on the git server without
// a number, and the index (which takes an unnumbered update only while no
// numbered one is stored) never receives one it cannot order. The pusher
// sees the reason as a "remote:" line and pushes again.
func referenceTransaction(state string, stdin io.Reader, stderr io.Writer) error {
	if state != "prepared" {
		io.Copy(io.Discard, stdin)
		return nil
	}
	updates, err := readUpdates(stdin)
	if err == nil && len(updates) > 0 {
		dir := os.Getenv("GIT_DIR")
		if dir == "" {
			dir = "."
		}
		err = numberUpdates(dir, updates, time.Now())
	}
	if err != nil {
		fmt.Fprintf(stderr, "trustlayer: ref update refused: it could not be numbered, so the index could not keep it in order (%v); nothing changed, push again\n", err)
	}
	return err
}

// numberUpdates appends updates to gitDir's refSeqFile, each with the
// next number: one more than the last, and never less than now in
// microseconds since 1970, so numbers keep growing even if the file is
// lost or a repository's folder is restored from an older copy (a
// number smaller than the one the index stored would leave the ref stuck).
func numberUpdates(gitDir string, updates []githook.RefUpdate, now time.Time) error {
	f, err := os.OpenFile(filepath.Join(gitDir, refSeqFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	var last int64
	if n := len(lines); n > 0 {
		if fs := strings.Fields(lines[n-1]); len(fs) == 4 {
			last, _ = strconv.ParseInt(fs[0], 10, 64)
		}
	}
	if floor := now.UnixMicro() - 1; last < floor {
		last = floor
	}
	for _, u := range updates {
		last++
		lines = append(lines, fmt.Sprintf("%d %s %s %s", last, u.Old, u.New, u.Ref))
	}
	if len(lines) > refSeqKeep {
		lines = lines[len(lines)-refSeqKeep:]
	}
	out := []byte(strings.Join(lines, "\n") + "\n")
	if _, err := f.WriteAt(out, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(out)))
}

// updateSeqs returns the number of each update (by ref, old and new) as
// the reference-transaction hook recorded it; the largest when the same
// move was made more than once (the same values, so the newest is as
// true). An update with no number is absent.
func updateSeqs(gitDir string) (map[githook.RefUpdate]int64, error) {
	f, err := os.Open(filepath.Join(gitDir, refSeqFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		return nil, err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	b, err := io.ReadAll(f)
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
