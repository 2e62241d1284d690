// Package gittest drives the real git, gpg and ssh-keygen in throwaway
// directories so tests can make genuinely signed commits and tags and ask
// `git verify-commit` for ground truth. It is for tests only.
//
// Everything lives under a short directory in /tmp (gpg-agent socket paths
// are length-limited), with HOME, GNUPGHOME, GIT_CONFIG_GLOBAL=/dev/null and
// GIT_CONFIG_NOSYSTEM=1 so the user's configuration never leaks in. Author
// and committer dates are fixed; gpg signing time can be faked per call.
package gittest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// Date is the fixed author and committer date of every commit.
const Date = "1700000000 +0000"

// Env is one throwaway git + gpg world.
type Env struct {
	t         testing.TB
	Root      string // short temp directory
	GNUPGHome string
	Home      string
	wrapper   string // gpg.program that honours GITTEST_GPG_TIME
}

// New creates an Env, or skips/fails the test when git or gpg are missing
// (see testenv). The directory and the gpg-agent are removed at cleanup.
func New(t testing.TB) *Env {
	t.Helper()
	testenv.RequireTool(t, "git")
	gpg := testenv.RequireTool(t, "gpg")
	root, err := os.MkdirTemp("/tmp", "gt")
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{t: t, Root: root, GNUPGHome: filepath.Join(root, "g"), Home: filepath.Join(root, "h")}
	for _, d := range []string{e.GNUPGHome, e.Home} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	e.wrapper = filepath.Join(root, "gpgw")
	script := "#!/bin/sh\nif [ -n \"$GITTEST_GPG_TIME\" ]; then exec " + gpg +
		" --faked-system-time \"$GITTEST_GPG_TIME!\" \"$@\"; fi\nexec " + gpg + " \"$@\"\n"
	if err := os.WriteFile(e.wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p, err := exec.LookPath("gpgconf"); err == nil {
			cmd := exec.Command(p, "--kill", "all")
			cmd.Env = e.environ(nil)
			_ = cmd.Run()
		}
		_ = os.RemoveAll(root)
	})
	return e
}

// environ is the environment of every command: isolated and deterministic.
func (e *Env) environ(extra []string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + e.Home,
		"GNUPGHOME=" + e.GNUPGHome,
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_DATE=" + Date,
		"GIT_COMMITTER_DATE=" + Date,
		"LC_ALL=C",
		"TZ=UTC",
	}
	return append(env, extra...)
}

// Cmd runs name in dir and returns its stdout; it fails the test on a
// non-zero exit.
func (e *Env) Cmd(dir string, env []string, stdin []byte, name string, args ...string) []byte {
	e.t.Helper()
	out, errOut, err := e.TryCmd(dir, env, stdin, name, args...)
	if err != nil {
		e.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errOut)
	}
	return out
}

// TryCmd runs name in dir and returns stdout, stderr and the exit error.
func (e *Env) TryCmd(dir string, env []string, stdin []byte, name string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = e.environ(env)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var o, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &se
	err = cmd.Run()
	return o.Bytes(), se.Bytes(), err
}

// GPG runs gpg in batch mode, optionally at a faked time (unix seconds, 0
// for the real clock).
func (e *Env) GPG(at int64, args ...string) []byte {
	e.t.Helper()
	base := []string{"--batch", "--yes", "--no-tty", "--passphrase", "", "--pinentry-mode", "loopback"}
	if at != 0 {
		base = append(base, "--faked-system-time", fmt.Sprintf("%d!", at))
	}
	return e.Cmd(e.Root, nil, nil, "gpg", append(base, args...)...)
}

// GenKey creates a key for uid ("Name <email>") and returns its fingerprint.
// algo is "ed25519", "rsa3072", ...; usage "sign", "cert", "default"; expire
// "never", "1y", "seconds=N"; at fakes the creation time (0: now).
func (e *Env) GenKey(uid, algo, usage, expire string, at int64) string {
	e.t.Helper()
	e.GPG(at, "--quick-gen-key", uid, algo, usage, expire)
	return e.fingerprint(uid)
}

// AddSubkey adds a subkey to the key fpr.
func (e *Env) AddSubkey(fpr, algo, usage, expire string, at int64) {
	e.t.Helper()
	e.GPG(at, "--quick-add-key", fpr, algo, usage, expire)
}

// fingerprint returns the primary fingerprint of the key for uid.
func (e *Env) fingerprint(uid string) string {
	out := e.GPG(0, "--with-colons", "--list-keys", "="+uid)
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" && len(f) > 9 {
			return f[9]
		}
	}
	e.t.Fatalf("no fingerprint for %s in:\n%s", uid, out)
	return ""
}

// Export returns the armored public key fpr.
func (e *Env) Export(fpr string) string {
	e.t.Helper()
	return string(e.GPG(0, "--armor", "--export", fpr))
}

// Revoke imports the revocation certificate gpg wrote at key generation,
// which revokes the key fpr ("no reason specified").
func (e *Env) Revoke(fpr string) {
	e.t.Helper()
	cert, err := os.ReadFile(filepath.Join(e.GNUPGHome, "openpgp-revocs.d", fpr+".rev"))
	if err != nil {
		e.t.Fatal(err)
	}
	// gpg prefixes the armor line with ':' so it is not imported by accident.
	cert = bytes.Replace(cert, []byte(":-----BEGIN PGP PUBLIC KEY BLOCK-----"), []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----"), 1)
	e.Cmd(e.Root, nil, cert, "gpg", "--batch", "--import")
}

// SSHKey creates an ed25519 (or "rsa", "ecdsa") key pair with ssh-keygen and
// returns the path of the private key and the public key line.
func (e *Env) SSHKey(name, typ string) (privPath, pubLine string) {
	e.t.Helper()
	testenv.RequireTool(e.t, "ssh-keygen")
	privPath = filepath.Join(e.Root, name)
	args := []string{"-q", "-t", typ, "-N", "", "-C", name + "@example.com", "-f", privPath}
	if typ == "rsa" {
		args = append(args, "-b", "3072")
	}
	e.Cmd(e.Root, nil, nil, "ssh-keygen", args...)
	pub, err := os.ReadFile(privPath + ".pub")
	if err != nil {
		e.t.Fatal(err)
	}
	return privPath, strings.TrimSpace(string(pub))
}
