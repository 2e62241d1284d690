// Package gitref keeps where each branch and tag of a repository pointed
// after the last push, as the git server's post-receive hook reported it
// (written by the uploads function with the file index, read by the file
// list and the commit list to resolve a revision).
package gitref

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Ref is where a branch or tag pointed after a push.
type Ref struct {
	Name      string // refs/heads/main, refs/tags/v1
	Commit    string // the commit it peels to
	UpdatedAt time.Time
	UpdatedBy string
	// Seq orders the updates of the ref as the git server made them
	// (invariant 8, docs/invariants.md): the git server's reference-
	// transaction hook numbers every ref update while git holds the ref's
	// lock, so a later update of a ref always has a larger Seq. 0: not
	// numbered (a git server without that hook), written unconditionally.
	Seq int64
}

// ErrStale is PutRef's and DeleteRef's answer to an update older than the
// one stored (a larger Seq), or unnumbered where a numbered one is
// stored: nothing was written, and the ref stays at the stored value. Not
// a failure.
var ErrStale = errors.New("gitref: a newer update of the ref is stored")

// Store keeps refs (gitrefddb.Store).
type Store interface {
	// PutRef moves a ref and keeps the move as history; DeleteRef
	// removes it. With a Seq (seq) > 0 each writes only when the stored
	// update of the ref is older (no Seq, or a smaller one), else answers
	// ErrStale: refs never go backwards, whatever order the updates
	// arrive in. Without one (0: an update nobody numbered) each writes
	// only when no numbered update is stored, else ErrStale: an update
	// that cannot be ordered never replaces one that can (fail closed).
	PutRef(ctx context.Context, repoID string, r Ref) error
	DeleteRef(ctx context.Context, repoID, name string, seq int64) error
	// Ref reads a ref; ok false when absent.
	Ref(ctx context.Context, repoID, name string) (Ref, bool, error)
}

// Resolve turns a revision into a commit id. A full object id (40 or 64
// hex digits, any case) always names that commit (invariant 2 in
// docs/invariants.md): it resolves as the commit, lower-cased, when
// known(id) accepts it, and never as a branch or tag of that name. Any
// other revision is a full ref name (refs/heads/main, refs/pr/1), then a
// branch, then a tag. ok is false when nothing matches.
func Resolve(ctx context.Context, s Store, repoID, rev string, known func(context.Context, string) (bool, error)) (string, bool, error) {
	if rev == "" {
		return "", false, nil
	}
	if id := strings.ToLower(rev); ValidID(id) {
		ok, err := known(ctx, id)
		if err != nil || !ok {
			return "", false, err
		}
		return id, true, nil
	}
	names := []string{"refs/heads/" + rev, "refs/tags/" + rev}
	if strings.HasPrefix(rev, "refs/") {
		// A full ref name, as the Hub's clients send refs/pr/1 or
		// refs/heads/main.
		names = append([]string{rev}, names...)
	}
	for _, name := range names {
		ref, ok, err := s.Ref(ctx, repoID, name)
		if err != nil {
			return "", false, err
		}
		if ok {
			return ref.Commit, true, nil
		}
	}
	return "", false, nil
}

// FullID reports whether s is a full object id in any case (40 or 64 hex
// digits): a name git and the Hub would read as a commit.
func FullID(s string) bool { return ValidID(strings.ToLower(s)) }

// CheckBranch is the rule for the short name of a branch or tag that a
// push or a commit creates or moves (invariants 2 and 6): it must mean
// one thing, so it is neither a full object id (which names a commit),
// nor HEAD, nor a name beginning refs/ (which Resolve reads as a full ref
// name). It says why in a sentence for the pusher.
func CheckBranch(name string) error {
	switch {
	case FullID(name):
		return fmt.Errorf("%q is a full commit id: a branch or tag of that name would hide the commit it names", name)
	case name == "HEAD":
		return fmt.Errorf("HEAD is not a branch or tag name")
	case strings.HasPrefix(name, "refs/"):
		return fmt.Errorf("%q begins with refs/: give the branch or tag name without it", name)
	}
	return nil
}

// CheckRefUpdate applies CheckBranch to a full ref name a push creates or
// moves: refs/heads/<branch> and refs/tags/<tag>. A ref under
// refs/replace/ is refused: git reads an object through its replacement,
// so such a ref would make an object id name other content (invariant 2).
// Other refs (refs/pr/N, refs/convert/...) are the Hub's own and keep
// git's rules. Deleting a ref is always allowed, so a bad name made before
// the rule can be removed.
func CheckRefUpdate(ref string, deleting bool) error {
	if deleting {
		return nil
	}
	if strings.HasPrefix(ref, "refs/replace/") {
		return fmt.Errorf("%q would make an object id name other content (git's replace refs): not accepted", ref)
	}
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if short, ok := strings.CutPrefix(ref, p); ok {
			return CheckBranch(short)
		}
	}
	return nil
}

// ValidID reports whether id is a full object id in lower-case hex (40 or
// 64 digits).
func ValidID(id string) bool {
	if len(id) != 40 && len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
