//go:build !githook_prereceive

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The post-receive script starts `githook post-receive --detached` in a
// session of its own and returns, so git answers the pusher without
// waiting for the manifest. What a detached process does is not seen by
// the pusher, and such a process can die (the server stops): so it first
// spools its push to pushSpool in the git dir, one file a push, removed
// once the manifest is stored (from then on the sweeper guarantees its
// delivery); a later run in the repository (the next push) delivers a
// spooled push older than spoolGrace that no running process holds (each
// holds an exclusive flock on its file while it works).

const (
	pushSpool   = "trustlayer-pushes"
	spoolGrace  = time.Minute
	spoolPerRun = 20               // leftovers one run delivers at most
	detachedFor = 30 * time.Minute // a detached run's deadline
)

// postReceiveDetached is the detached post-receive: its standard input is
// the hook's, its standard error the repository's log.
func postReceiveDetached(stdin io.Reader, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), detachedFor)
	defer cancel()
	updates, err := readUpdates(stdin)
	if err != nil {
		return err
	}
	p := newPush(updates)
	gitDirOut, err := gitOut(nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return err
	}
	gitDir := strings.TrimSpace(string(gitDirOut))
	f, err := spoolPushFile(gitDir, p)
	if err != nil {
		// Not spooled: delivered all the same, but not again if this
		// process dies first.
		logf(stderr, "post-receive: push not spooled: %v", err)
	}
	err = indexPush(ctx, p, stderr, true)
	if err != nil {
		logf(stderr, "post-receive: the file index and scans of the push at %s are not updated: %v", p.PushedAt.Format(time.RFC3339Nano), err)
	}
	if f != nil {
		if err == nil || errorAfterManifest(err) {
			f.done()
		} else {
			f.f.Close() // left for a later run
		}
	}
	deliverLeftovers(ctx, gitDir, stderr)
	return nil
}

// errorAfterManifest tells an error that came once the manifest was
// stored, so the spooled push is done.
func errorAfterManifest(err error) bool {
	var a afterManifest
	return errors.As(err, &a)
}

// spooled is a push in the spool: its file, open and locked.
type spooled struct {
	f    *os.File
	name string
}

// done removes the spooled push (delivered) and unlocks it.
func (s *spooled) done() {
	os.Remove(s.name)
	s.f.Close()
}

// spoolPushFile writes p to a new file of the spool, locked (rename keeps
// the lock of the open file).
func spoolPushFile(gitDir string, p push) (*spooled, error) {
	dir := filepath.Join(gitDir, pushSpool)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*spooled, error) {
		os.Remove(f.Name())
		f.Close()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fail(err)
	}
	if _, err := f.Write(body); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := filepath.Join(dir, p.PushedAt.Format("20060102T150405.000000000")+"-"+hex.EncodeToString(b[:])+".json")
	if err := os.Rename(f.Name(), name); err != nil {
		return fail(err)
	}
	return &spooled{f: f, name: name}, nil
}

// deliverLeftovers delivers the spooled pushes older than spoolGrace that
// no process holds, oldest first, a few per run.
func deliverLeftovers(ctx context.Context, gitDir string, stderr io.Writer) {
	dir := filepath.Join(gitDir, pushSpool)
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(names) == 0 {
		return
	}
	sort.Strings(names)
	n := 0
	for _, name := range names {
		if n == spoolPerRun || ctx.Err() != nil {
			return
		}
		st, err := os.Stat(name)
		if err != nil || time.Since(st.ModTime()) < spoolGrace {
			continue
		}
		s, p, err := claimSpooled(name)
		if err != nil {
			logf(stderr, "post-receive: spooled push %s: %v", filepath.Base(name), err)
			continue
		}
		if s == nil {
			continue // another process holds it, or delivered it
		}
		n++
		if err := indexPush(ctx, p, stderr, true); err != nil && !errorAfterManifest(err) {
			logf(stderr, "post-receive: spooled push %s not delivered: %v", filepath.Base(name), err)
			s.f.Close()
			continue
		}
		logf(stderr, "post-receive: delivered the spooled push %s", filepath.Base(name))
		s.done()
	}
}

// claimSpooled locks the spooled push at name and reads it; nil when
// another process holds it or it is gone.
func claimSpooled(name string) (*spooled, push, error) {
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return nil, push{}, nil
	}
	if err != nil {
		return nil, push{}, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, push{}, nil
	}
	// Delivered and removed between the open and the lock?
	if st, err := os.Stat(name); err != nil || !sameFile(f, st) {
		f.Close()
		return nil, push{}, nil
	}
	var p push
	if err := json.NewDecoder(f).Decode(&p); err != nil {
		f.Close()
		return nil, push{}, fmt.Errorf("unreadable: %v", err)
	}
	return &spooled{f: f, name: name}, p, nil
}

func sameFile(f *os.File, st os.FileInfo) bool {
	fst, err := f.Stat()
	return err == nil && os.SameFile(fst, st)
}

// logf writes one timestamped line to the log.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "%s %s\n", time.Now().UTC().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
}
