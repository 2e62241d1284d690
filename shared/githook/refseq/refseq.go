// Package refseq numbers a repository's ref updates: invariant 8 in
// docs/invariants.md, refs never go backwards in the index.
//
// git moves a ref only while it holds the ref's lock, and only from the
// old value the pusher saw; the reference-transaction hook runs in the
// "prepared" state with those locks held. There Hook numbers each update
// in the repository's File: a later update of a ref always gets a larger
// number. post-receive looks up the numbers of its updates (Read) and puts
// them in the manifest (githook.RefTip.Seq); the indexer writes a ref only
// when the number stored is smaller. So two close pushes whose manifests
// are indexed out of order, late or twice leave the ref at the newer tip,
// and a lost manifest is superseded by the next update of the ref.
//
// The package imports the standard library only: the hook is a program of
// its own (infra/cmd/githook-ref), which git starts twice per push
// (prepared, committed) and which must start as fast as a Go program can.
package refseq

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// File (in the git dir) holds one line per numbered update, "<seq> <old>
// <new> <ref>", the last Keep of them. Hook replaces it whole (rename)
// under an exclusive flock of File+".lock", so a reader needs no lock and
// a crash leaves the previous file.
const (
	File = "trustlayer-refseq"
	Keep = 4096
)

// Update is one ref update as git gives it to the hooks.
type Update struct{ Old, New, Ref string }

// Refused is what the pusher reads when an update cannot be numbered.
const Refused = "trustlayer: ref update refused: it could not be numbered, so the index could not keep it in order; nothing changed, push again"

// Hook is the reference-transaction hook: args are git's (the state
// first), in its standard input, gitDir the repository ($GIT_DIR, "." when
// unset). Only "prepared" does anything, and it fails closed: an update it
// cannot number is refused (exit 1), and git then aborts the whole
// transaction, so no ref moves without a number.
func Hook(args []string, in io.Reader, stderr io.Writer, gitDir string) int {
	if len(args) == 0 || args[0] != "prepared" {
		return 0
	}
	if gitDir == "" {
		gitDir = "."
	}
	if err := Number(gitDir, in, time.Now().UnixMicro()); err != nil {
		fmt.Fprintf(stderr, "%s\n", Refused)
		return 1
	}
	return 0
}

// Number gives each update read from in ("<old> <new> <ref>" lines, the
// hook's input) the next number: one more than the largest in the file,
// and never less than now (microseconds since 1970), so numbers keep
// growing even if the file is lost or the repository's folder is restored
// from an older copy. Any line that is not three fields refuses them all.
func Number(gitDir string, in io.Reader, now int64) error {
	path := filepath.Join(gitDir, File)
	lock, err := os.OpenFile(path+".lock", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	for {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return err
	}
	var lines []string
	last := int64(0)
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err // a folder, unreadable: fail closed
	default:
		for _, l := range strings.Split(string(old), "\n") {
			f := strings.Fields(l)
			if len(f) != 4 || !digits(f[0]) {
				continue // a torn line: a crashed writer's
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				continue
			}
			lines = append(lines, l)
			last = max(last, n)
		}
	}
	if last < now-1 {
		last = now - 1
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			return fmt.Errorf("unexpected hook input %q", sc.Text())
		}
		last++
		lines = append(lines, strconv.FormatInt(last, 10)+" "+f[0]+" "+f[1]+" "+f[2])
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(lines) > Keep {
		lines = lines[len(lines)-Keep:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Read returns the number of each update as Hook recorded it; the largest
// when the same move was made more than once (the same values, so the
// newest is as true). An update with no number is absent.
func Read(gitDir string) (map[Update]int64, error) {
	b, err := os.ReadFile(filepath.Join(gitDir, File))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[Update]int64{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		k := Update{Old: f[1], New: f[2], Ref: f[3]}
		if n > out[k] {
			out[k] = n
		}
	}
	return out, nil
}
