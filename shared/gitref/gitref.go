// Package gitref keeps where each branch and tag of a repository pointed
// after the last push, as the git server's post-receive hook reported it
// (written by the uploads function with the file index, read by the file
// list and the commit list to resolve a revision).
package gitref

import (
	"context"
	"strings"
	"time"
)

// Ref is where a branch or tag pointed after a push.
type Ref struct {
	Name      string // refs/heads/main, refs/tags/v1
	Commit    string // the commit it peels to
	UpdatedAt time.Time
	UpdatedBy string
}

// Store keeps refs (gitrefddb.Store).
type Store interface {
	// PutRef moves a ref and keeps the move as history; DeleteRef
	// removes it.
	PutRef(ctx context.Context, repoID string, r Ref) error
	DeleteRef(ctx context.Context, repoID, name string) error
	// Ref reads a ref; ok false when absent.
	Ref(ctx context.Context, repoID, name string) (Ref, bool, error)
}

// Resolve turns a revision into a commit id: a branch, then a tag, then a
// full commit id (lower-cased) that known(id) accepts. ok is false when
// nothing matches.
func Resolve(ctx context.Context, s Store, repoID, rev string, known func(context.Context, string) (bool, error)) (string, bool, error) {
	if rev == "" {
		return "", false, nil
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
	if id := strings.ToLower(rev); ValidID(id) {
		ok, err := known(ctx, id)
		if err != nil || !ok {
			return "", false, err
		}
		return id, true, nil
	}
	return "", false, nil
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
