//go:build !githook_prereceive

package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The hooks a git server runs on every push, and what each costs the
// pusher: pre-receive is this program (it decides the push), built light
// (githook-pre-receive); reference-transaction is a shell script that
// runs githook-ref, a program of the standard library alone, in the one
// state that has work (git runs the hook twice per push, and each process
// start counts); post-receive is a shell script, because its work need not
// be waited for and a shell starts in a fraction of the time this program
// takes. `githook install <dir>` writes all three into dir
// (core.hooksPath).

//go:embed hooks/reference-transaction.sh
var referenceTransactionScript string

//go:embed hooks/post-receive.sh
var postReceiveScript string

// install writes the hooks into dir: pre-receive a link to this program
// (to githook-pre-receive beside it, the same program built light, when
// there is one), and the scripts, which name the programs by their
// absolute paths: reference-transaction runs githook-ref beside this
// program (this program, which runs the same code, when there is none),
// post-receive this program.
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
func installFor(self, dir string, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The light pre-receive build beside this program, when there is one
	// (slim.go).
	pre := self
	if p := filepath.Join(filepath.Dir(self), "githook-pre-receive"); isFile(p) {
		pre = p
	}
	ref := shellQuote(self) + " reference-transaction"
	if p := filepath.Join(filepath.Dir(self), "githook-ref"); isFile(p) {
		ref = shellQuote(p)
	}
	// Each hook is replaced whole (rename), so a push running meanwhile
	// finds the old hook or the new one, never none.
	link := filepath.Join(dir, "pre-receive")
	os.Remove(link + ".tmp")
	if err := os.Symlink(pre, link+".tmp"); err != nil {
		return fmt.Errorf("install pre-receive: %w", err)
	}
	if err := os.Rename(link+".tmp", link); err != nil {
		return fmt.Errorf("install pre-receive: %w", err)
	}
	scripts := map[string]string{
		"reference-transaction": strings.ReplaceAll(referenceTransactionScript, "@GITHOOK_REF@", ref),
		"post-receive":          strings.ReplaceAll(postReceiveScript, "@GITHOOK@", shellQuote(self)),
	}
	for name, body := range scripts {
		path := filepath.Join(dir, name)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o755); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("install %s: %w", name, err)
		}
	}
	for _, tool := range []string{"sh", "setsid", "nice"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(stderr, "githook install: warning: %s is not on PATH; the hooks need it\n", tool)
		}
	}
	return nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
