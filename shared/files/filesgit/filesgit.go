// Package filesgit makes the commits of the commit API (files.Git) with
// the git command line: in a scratch bare repository it fetches the
// branch tip (depth 1), builds the new tree with plumbing (read-tree,
// hash-object, update-index --index-info, write-tree), writes the commit
// signed with the service's SSH key (commit-tree -S, gpg.format=ssh), and
// pushes it through the gateway's git route with the caller's own
// Authorization header. The push is a fast-forward of the tip it built
// on, so the git server's pre-receive and post-receive hooks apply as to
// any push (signed commits required, secret protection, the file index,
// scanning), and a tip that moved meanwhile is refused (stale parent).
package filesgit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Committer implements files.Git.
type Committer struct {
	// BaseURL is the gateway's URL; the repository is at
	// BaseURL/[datasets/|spaces/]ns/name.git.
	BaseURL string
	// KeyFile is the service's SSH private key (mode 0600).
	KeyFile string
	// Name and Email are the committer identity of the service.
	Name, Email string
	// Timeout bounds one commit.
	Timeout time.Duration
}

var _ files.Git = (*Committer)(nil)

func gitPath(typ access.RepoType, ns, name string) string {
	switch typ {
	case access.RepoDataset:
		return "/datasets/" + ns + "/" + name + ".git"
	case access.RepoSpace:
		return "/spaces/" + ns + "/" + name + ".git"
	}
	return "/" + ns + "/" + name + ".git"
}

type run struct {
	ctx context.Context
	dir string
	env []string
}

func (r run) git(stdin []byte, args ...string) (string, string, error) {
	cmd := exec.CommandContext(r.ctx, "git", append([]string{"--git-dir", filepath.Join(r.dir, "repo.git")}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

// errRace is an attempt that lost a race for the branch: its tip moved
// between our read and our push (non-fast-forward, or the git server
// could not lock the ref because another push held or moved it).
var errRace = errors.New("the branch moved during the commit")

// MaxAttempts bounds the attempts of a commit with no stated parent that
// keeps losing races for its branch.
const MaxAttempts = 8

// Commit implements files.Git. Concurrency is not an authorization error
// (invariant 7 in docs/invariants.md): a commit whose push loses a race
// for the branch is made again on the new tip when the caller stated no
// parent (the operations apply to whatever the tip is), and answers
// files.ErrStaleParent (412) when the caller stated one.
func (c *Committer) Commit(ctx context.Context, gc files.GitCommit) (string, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	for attempt := 1; ; attempt++ {
		id, err := c.attempt(ctx, gc)
		if !errors.Is(err, errRace) {
			return id, err
		}
		if gc.Parent != "" || attempt >= MaxAttempts || ctx.Err() != nil {
			return "", files.ErrStaleParent
		}
		// Let the winner's push finish before reading the tip again;
		// jittered so racing commits spread out.
		select {
		case <-ctx.Done():
			return "", files.ErrStaleParent
		case <-time.After(time.Duration(attempt*50+rand.IntN(100)) * time.Millisecond):
		}
	}
}

// attempt makes the commit once on the branch's current tip.
func (c *Committer) attempt(ctx context.Context, gc files.GitCommit) (string, error) {
	dir, err := os.MkdirTemp("", "commit-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	url := strings.TrimSuffix(c.BaseURL, "/") + gitPath(gc.Repo.Type, gc.Repo.Namespace, gc.Repo.Name)
	// The credential goes in the environment (GIT_CONFIG_*), never in
	// the arguments, and only to the gateway's URL.
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_INDEX_FILE=" + filepath.Join(dir, "index"),
		"GIT_AUTHOR_NAME=" + gc.AuthorName, "GIT_AUTHOR_EMAIL=" + gc.AuthorEmail,
		"GIT_COMMITTER_NAME=" + c.Name, "GIT_COMMITTER_EMAIL=" + c.Email,
		"GIT_CONFIG_COUNT=4",
		"GIT_CONFIG_KEY_0=http." + url + ".extraHeader", "GIT_CONFIG_VALUE_0=Authorization: " + gc.Authorization,
		"GIT_CONFIG_KEY_1=gpg.format", "GIT_CONFIG_VALUE_1=ssh",
		"GIT_CONFIG_KEY_2=user.signingkey", "GIT_CONFIG_VALUE_2=" + c.KeyFile,
		"GIT_CONFIG_KEY_3=core.hooksPath", "GIT_CONFIG_VALUE_3=/dev/null",
	}
	r := run{ctx: ctx, dir: dir, env: env}
	if _, e, err := r.git(nil, "init", "-q", "--bare", filepath.Join(dir, "repo.git")); err != nil {
		return "", fmt.Errorf("git init: %v: %s", err, e)
	}
	ref := "refs/heads/" + gc.Branch
	out, e, err := r.git(nil, "ls-remote", url, ref)
	if err != nil {
		return "", fmt.Errorf("git ls-remote: %v: %s", err, redact(e))
	}
	tip, _, _ := strings.Cut(out, "\t")
	tip = strings.TrimSpace(tip)
	if gc.Parent != "" && gc.Parent != tip {
		return "", errRace
	}
	if tip != "" {
		if _, e, err := r.git(nil, "fetch", "-q", "--depth=1", "--no-tags", url, "+"+ref+":"+ref); err != nil {
			return "", fmt.Errorf("git fetch: %v: %s", err, redact(e))
		}
		got, _, err := r.git(nil, "rev-parse", ref)
		if err != nil {
			return "", fmt.Errorf("git rev-parse: %w", err)
		}
		if got != tip {
			return "", errRace
		}
		if _, e, err := r.git(nil, "read-tree", tip); err != nil {
			return "", fmt.Errorf("git read-tree: %v: %s", err, e)
		}
	} else if _, e, err := r.git(nil, "read-tree", "--empty"); err != nil {
		return "", fmt.Errorf("git read-tree: %v: %s", err, e)
	}
	// Index changes, NUL-separated: deletions first, then additions.
	var info bytes.Buffer
	const zero = "0000000000000000000000000000000000000000"
	remove := func(p string) { fmt.Fprintf(&info, "0 %s\t%s\x00", zero, p) }
	for _, p := range gc.Deleted {
		remove(p)
	}
	for _, d := range gc.DeletedFolder {
		out, _, err := r.git(nil, "ls-files", "-z", "--", d+"/")
		if err != nil {
			return "", fmt.Errorf("git ls-files: %w", err)
		}
		for _, p := range strings.Split(out, "\x00") {
			if p != "" {
				remove(p)
			}
		}
	}
	added := map[string]string{}
	for _, f := range gc.Files {
		blob, e, err := r.git(f.Content, "hash-object", "-w", "--stdin")
		if err != nil {
			return "", fmt.Errorf("git hash-object: %v: %s", err, e)
		}
		added[f.Path] = blob
		fmt.Fprintf(&info, "100644 %s\t%s\x00", blob, f.Path)
	}
	if _, e, err := r.git(info.Bytes(), "update-index", "-z", "--index-info"); err != nil {
		return "", apperr.Wrap(apperr.Invalid, fmt.Errorf("%v: %s", err, e), "The operations do not make a valid tree (a file where a folder is, or the reverse)")
	}
	tree, e, err := r.git(nil, "write-tree")
	if err != nil {
		return "", apperr.Wrap(apperr.Invalid, fmt.Errorf("%v: %s", err, e), "The operations do not make a valid tree")
	}
	// Acknowledged means stored (invariant 5): every added file is in
	// the tree, at its path, with its bytes; git drops a path it refuses
	// without failing.
	if err := checkAdded(r, tree, added); err != nil {
		return "", err
	}
	args := []string{"commit-tree", "-S", tree}
	if tip != "" {
		args = append(args, "-p", tip)
	}
	commit, e, err := r.git([]byte(gc.Message), append(args, "-F", "-")...)
	if err != nil {
		return "", fmt.Errorf("git commit-tree: %v: %s", err, e)
	}
	out, e, err = r.git(nil, "push", "-q", "--porcelain", url, commit+":"+ref)
	if err != nil {
		if lostRace(out + "\n" + e) {
			return "", errRace
		}
		if msg := remoteMessage(e); msg != "" {
			// A hook refused it: the same answer a git push gets.
			return "", apperr.Wrap(apperr.Permission, fmt.Errorf("git push: %v", err), "The git server refused the commit: "+msg)
		}
		return "", fmt.Errorf("git push: %v: %s", err, redact(e))
	}
	return commit, nil
}

// lostRace reports whether a refused push lost a race for the branch
// rather than being refused by a rule: git's non-fast-forward answers,
// and the git server failing to lock or update the ref because another
// push moved it first ("cannot lock ref ... is at X but expected Y",
// "reference already exists", "failed to update ref").
func lostRace(s string) bool {
	for _, m := range []string{"non-fast-forward", "fetch first", "stale info", "cannot lock ref", "failed to update ref",
		"failed to lock", "reference already exists", "but expected"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// checkAdded lists tree and answers 400 unless every added path is in it
// with the blob hashed for it.
func checkAdded(r run, tree string, added map[string]string) error {
	if len(added) == 0 {
		return nil
	}
	out, e, err := r.git(nil, "ls-tree", "-r", "-z", "--full-tree", tree)
	if err != nil {
		return fmt.Errorf("git ls-tree: %v: %s", err, e)
	}
	have := map[string]string{}
	for _, l := range strings.Split(out, "\x00") {
		meta, p, ok := strings.Cut(l, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 {
			have[p] = f[2]
		}
	}
	for p, blob := range added {
		if have[p] != blob {
			return apperr.E(apperr.Invalid, "git would not store %q: the commit is refused, nothing was written", p)
		}
	}
	return nil
}

// remoteMessage joins the "remote:" lines of git's stderr.
func remoteMessage(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "remote:"); ok {
			if m = strings.TrimSpace(m); m != "" {
				out = append(out, m)
			}
		}
	}
	return strings.Join(out, " ")
}

// redact drops credentials that git may echo in a URL.
func redact(s string) string {
	if i := strings.Index(s, "Authorization"); i >= 0 {
		return s[:i] + "[redacted]"
	}
	return s
}
