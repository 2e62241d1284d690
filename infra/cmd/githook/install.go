//go:build !githook_prereceive

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The hooks a git server runs on every push, and what each costs the
// pusher: pre-receive is this program (it decides the push), built light
// (githook-pre-receive); reference-transaction is githook-ref, a program
// of the standard library alone (shared/githook/refhook), which git starts
// twice per push: it numbers the updates, then hands the push to a
// detached `githook post-receive --detached` (the file index, the copies
// for scanning), so no post-receive hook, one more process start on the
// pusher's wait, is installed. `githook install <dir>` links both into dir
// (core.hooksPath).

// install links the hooks into dir: pre-receive to githook-pre-receive
// beside this program (the same program built light) and
// reference-transaction to githook-ref beside it, or each to this program
// itself, which runs the same code, when there is none.
func install(dir string, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	return installFor(self, dir, stderr)
}

// installFor installs the hooks of the githook program at self.
func installFor(self, dir string, _ io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	links := map[string]string{"pre-receive": self, "reference-transaction": self}
	for hook, light := range map[string]string{"pre-receive": "githook-pre-receive", "reference-transaction": "githook-ref"} {
		if p := filepath.Join(filepath.Dir(self), light); isFile(p) {
			links[hook] = p
		}
	}
	// Each hook is replaced whole (rename), so a push running meanwhile
	// finds the old hook or the new one, never none.
	for _, hook := range []string{"pre-receive", "reference-transaction"} {
		link := filepath.Join(dir, hook)
		os.Remove(link + ".tmp")
		if err := os.Symlink(links[hook], link+".tmp"); err != nil {
			return fmt.Errorf("install %s: %w", hook, err)
		}
		if err := os.Rename(link+".tmp", link); err != nil {
			return fmt.Errorf("install %s: %w", hook, err)
		}
	}
	// The post-receive script of earlier versions would index every push a
	// second time: reference-transaction does its work now.
	if err := os.Remove(filepath.Join(dir, "post-receive")); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove the old post-receive: %w", err)
	}
	return nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
