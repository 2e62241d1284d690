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
// pusher: pre-receive is this program (it decides the push: one request
// to the commits function); reference-transaction and post-receive are
// small shell scripts, because git runs reference-transaction twice per
// push (prepared, committed) and post-receive's work need not be waited
// for, and a shell starts in a fraction of the time this program does.
// `githook install <dir>` writes all three into dir (core.hooksPath).

//go:embed hooks/reference-transaction.sh
var referenceTransactionScript string

//go:embed hooks/post-receive.sh
var postReceiveScript string

// install writes the hooks into dir: pre-receive a link to this program
// (to githook-pre-receive beside it, the same program built light, when
// there is one),
// reference-transaction and post-receive the scripts, which name this
// program by its absolute path.
func install(dir string, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The light pre-receive build beside this program, when there is one
	// (slim.go).
	pre := self
	if p := filepath.Join(filepath.Dir(self), "githook-pre-receive"); isFile(p) {
		pre = p
	}
	link := filepath.Join(dir, "pre-receive")
	os.Remove(link)
	if err := os.Symlink(pre, link); err != nil {
		return fmt.Errorf("install pre-receive: %w", err)
	}
	scripts := map[string]string{
		"reference-transaction": referenceTransactionScript,
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
	for _, tool := range []string{"sh", "flock", "awk", "mv", "setsid"} {
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

// runScript runs an embedded hook script with sh, for a server that links
// the hook's name to this program instead of installing the script.
func runScript(script string, args []string, stdin io.Reader, stderr io.Writer) int {
	cmd := exec.Command("sh", append([]string{"-c", script, "githook"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stderr, stderr
	if err := cmd.Run(); err != nil {
		if x, ok := err.(*exec.ExitError); ok {
			return x.ExitCode()
		}
		fmt.Fprintf(stderr, "githook: %v\n", err)
		return 1
	}
	return 0
}
