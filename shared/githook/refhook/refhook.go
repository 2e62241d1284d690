// Package refhook is the git server's reference-transaction hook, the
// one hook besides pre-receive: git starts it with the state as its
// argument and the transaction's "<old> <new> <ref>" lines on its standard
// input, in "prepared" (the refs' locks held), then "committed" (the refs
// have moved) or "aborted".
//
//   - prepared: every update is numbered (invariant 8, refseq.Hook), and
//     an update that cannot be numbered refuses the transaction.
//   - committed: the push is handed to the indexer, `githook post-receive
//     --detached`, started in a session of its own with the updates of refs
//     under refs/ on its standard input (git also lists HEAD when the branch
//     it names moves: a log-only line, not an update), and not waited for.
//     This is post-receive's work, done here because git starts this hook
//     anyway: a post-receive hook would be one more process start on the
//     pusher's wait.
//
// git runs a transaction per ref for a push that is not atomic, so such a
// push of n refs starts n indexers, each with its ref; each update keeps
// its number, and the indexer writes a ref only when its number is newer
// (refseq), so they may finish in any order.
//
// It imports the standard library only: infra/cmd/githook-ref is this
// package's program, and it starts as fast as any Go program can.
package refhook

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hubsec/trustlayer/shared/githook/refseq"
)

// Log is the file in the git dir the indexer's output is appended to.
const Log = "trustlayer-uploads.log"

// Run is the hook: args are git's (the state first), gitDir $GIT_DIR ("."
// when unset), indexer the githook program that indexes a push. It
// returns the exit status; only "prepared" can refuse.
func Run(args []string, in io.Reader, stderr io.Writer, gitDir, indexer string) int {
	if gitDir == "" {
		gitDir = "."
	}
	if len(args) == 0 || args[0] != "committed" {
		return refseq.Hook(args, in, stderr, gitDir)
	}
	raw, err := io.ReadAll(in)
	if err == nil {
		err = Start(indexer, Updates(raw), gitDir)
	}
	if err != nil {
		// The refs have moved; git ignores this state's status. The next
		// update of the ref supersedes the missing index (refseq).
		fmt.Fprintf(stderr, "warning: the file index and scans of this push are not updated: %v\n", err)
	}
	return 0
}

// Updates keeps the lines of in that update a ref under refs/, in order.
func Updates(in []byte) []byte {
	var out bytes.Buffer
	for _, l := range strings.Split(string(in), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && strings.HasPrefix(f[2], "refs/") {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

// Start starts `indexer post-receive --detached` in a session of its own
// (git, the web server or the pusher hanging up does not stop it), with
// updates on its standard input and its output appended to Log in gitDir,
// and returns once it runs. Nothing is started for no updates.
func Start(indexer string, updates []byte, gitDir string) error {
	if len(updates) == 0 {
		return nil
	}
	log, err := os.OpenFile(filepath.Join(gitDir, Log), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	// At a lower CPU priority from its first instruction (nice, when
	// there is one): its start would otherwise compete with the end of
	// the push it indexes.
	cmd := exec.Command(indexer, "post-receive", "--detached")
	if nice, err := exec.LookPath("nice"); err == nil {
		cmd = exec.Command(nice, "-n", "10", indexer, "post-receive", "--detached")
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	// Written after the start: a pipe holds 64 KiB, and the indexer reads
	// its input first.
	_, err = w.Write(updates)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	cmd.Process.Release()
	return err
}

// Beside is the program named name in the folder of the running program
// (symbolic links resolved), as `githook install` lays them out.
func Beside(name string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	return filepath.Join(filepath.Dir(self), name), nil
}
