package gittest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Repo is a throwaway repository in an Env.
type Repo struct {
	e   *Env
	Dir string
	n   int
}

// NewRepo runs git init with the object format "sha1" or "sha256".
func (e *Env) NewRepo(name, format string) *Repo {
	e.t.Helper()
	dir := filepath.Join(e.Root, name)
	e.Cmd(e.Root, nil, nil, "git", "init", "-q", "--object-format="+format, "-b", "main", dir)
	return &Repo{e: e, Dir: dir}
}

// Signer says how a commit or tag is signed.
type Signer struct {
	Format string // "" (unsigned), "openpgp" or "ssh"
	Key    string // gpg fingerprint, or the path of an ssh public key file
	At     int64  // faked gpg signing time, 0 for now
}

// Git runs git in the repo with the committer identity name/email and the
// signer's configuration.
func (r *Repo) Git(name, email string, s Signer, args ...string) string {
	r.e.t.Helper()
	cfg := []string{
		"-c", "user.name=" + name, "-c", "user.email=" + email,
		"-c", "gpg.program=" + r.e.wrapper, "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false",
	}
	if s.Format != "" {
		cfg = append(cfg, "-c", "gpg.format="+s.Format, "-c", "user.signingkey="+s.Key)
	}
	var env []string
	if s.At != 0 {
		env = append(env, fmt.Sprintf("GITTEST_GPG_TIME=%d", s.At))
	}
	return strings.TrimSpace(string(r.e.Cmd(r.Dir, env, nil, "git", append(cfg, args...)...)))
}

// Commit makes an empty commit with message msg (extra git options such as
// "-c", "i18n.commitEncoding=ISO-8859-1" go before the subcommand) and
// returns its id.
func (r *Repo) Commit(name, email string, s Signer, msg string, gitOpts ...string) string {
	r.e.t.Helper()
	r.n++
	file := filepath.Join(r.Dir, fmt.Sprintf("f%d", r.n))
	if err := os.WriteFile(file, []byte(msg), 0o600); err != nil {
		r.e.t.Fatal(err)
	}
	r.Git(name, email, Signer{}, "add", ".")
	args := append(gitOpts, "commit", "-q", "-m", msg)
	if s.Format != "" {
		args = append(args, "-S")
	}
	r.Git(name, email, s, args...)
	return r.Git(name, email, Signer{}, "rev-parse", "HEAD")
}

// CatFile returns the raw object id of kind ("commit" or "tag").
func (r *Repo) CatFile(kind, id string) []byte {
	r.e.t.Helper()
	return r.e.Cmd(r.Dir, nil, nil, "git", "cat-file", kind, id)
}

// Write stores raw as an object of kind, even if it is not well formed, and
// returns its id; used to let git judge tampered objects.
func (r *Repo) Write(kind string, raw []byte) string {
	r.e.t.Helper()
	out := r.e.Cmd(r.Dir, nil, raw, "git", "hash-object", "-t", kind, "-w", "--literally", "--stdin")
	return strings.TrimSpace(string(out))
}

// Verify runs `git verify-commit --raw` or `git verify-tag --raw` and
// returns whether the signature is cryptographically good (gpg VALIDSIG,
// which git prints even for expired or revoked keys; exit status 0 for ssh)
// and the combined output. allowedSigners is the ssh allowed signers file, if
// any.
func (r *Repo) Verify(kind, id, allowedSigners string) (cryptoOK bool, exitOK bool, out string) {
	r.e.t.Helper()
	args := []string{"-c", "gpg.program=" + r.e.wrapper}
	if allowedSigners != "" {
		args = append(args, "-c", "gpg.ssh.allowedSignersFile="+allowedSigners)
	}
	args = append(args, "verify-"+kind, "--raw", id)
	o, e, err := r.e.TryCmd(r.Dir, nil, nil, "git", args...)
	out = string(o) + string(e)
	exitOK = err == nil
	cryptoOK = strings.Contains(out, "[GNUPG:] VALIDSIG") || (exitOK && strings.Contains(out, "Good \"git\" signature"))
	return cryptoOK, exitOK, out
}
