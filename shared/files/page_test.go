package files_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
)

// TestResolveAheadGuessesAreChecked: a revision resolved ahead of the
// caller's authorization is used only for the repository it guessed. The
// second visit's ref read starts before authorization and is not
// repeated; a moved branch gives the new commit (and Same says reads
// keyed by the old one are stale); a repository made again under the same
// name (new id) is resolved afresh, never from the old one's read; a
// missing branch is NotExist.
func TestResolveAheadGuessesAreChecked(t *testing.T) {
	tb := ddbtest.NewTable(t)
	cc := &callCount{DB: tb.DB}
	counted := ddb.Table{DB: cc, Name: tb.Name}
	ctx := context.Background()
	user := "ra" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "m", Owner: access.OwnerUser, OwnerID: "u1"}
	svcFor := func(r repo.Repo) *files.Service {
		return &files.Service{Store: filesddb.Store{Table: counted}, Refs: gitrefddb.Store{Table: counted}, Repos: oneRepo{r}}
	}
	push := func(r repo.Repo, old, commit string) {
		t.Helper()
		readme := files.Node{Name: "README.md", Mode: "100644", ID: fakeID(commit + "readme"), Size: 3, SHA256: fakeSHA(commit)}
		root := files.Tree{ID: fakeID(commit + "tree"), Nodes: []files.Node{readme}}
		if _, err := svcFor(r).Index(ctx, files.IndexInput{Pusher: user, Type: r.Type, Namespace: r.Namespace, Name: r.Name, PushedAt: time.Now(),
			Refs:    []files.RefTip{{Ref: "refs/heads/main", Old: old, New: commit, Commit: commit}},
			Commits: []files.CommitTree{{Commit: commit, Tree: root.ID}}, Trees: []files.Tree{root}}); err != nil {
			t.Fatal(err)
		}
	}
	c1, c2, c3 := fakeID("c1"+r.ID), fakeID("c2"+r.ID), fakeID("c3"+r.ID)
	push(r, "", c1)
	svc := svcFor(r)
	resolve := func(r repo.Repo, rev string) (*files.Ahead, string, int64, error) {
		t.Helper()
		before := cc.n.Load()
		a := svc.ResolveAhead(ctx, r.Type, r.Namespace, r.Name, rev)
		commit, err := svc.Resolved(ctx, a, r)
		return a, commit, cc.n.Load() - before, err
	}

	// First visit: nothing to guess.
	a, commit, _, err := resolve(r, "main")
	if g, gc := a.Guess(); err != nil || commit != c1 || g.ID != "" || gc != "" || a.Same(r, c1) {
		t.Fatalf("first: %s %v, guess %+v %q, same %v", commit, err, g, gc, a.Same(r, c1))
	}
	// Second: the guess is right and its ref read is the only one.
	a, commit, reads, err := resolve(r, "main")
	if g, gc := a.Guess(); err != nil || commit != c1 || g.ID != r.ID || gc != c1 || !a.Same(r, c1) || reads != 1 {
		t.Fatalf("second: %s %v, guess %+v %q, same %v, %d reads (want 1)", commit, err, g, gc, a.Same(r, c1), reads)
	}
	// The branch moves: the new commit, and the old guess is not the same.
	push(r, c1, c2)
	a, commit, _, err = resolve(r, "main")
	if _, gc := a.Guess(); err != nil || commit != c2 || gc != c1 || a.Same(r, c2) {
		t.Fatalf("moved: %s %v, guessed %q, same %v", commit, err, gc, a.Same(r, c2))
	}
	// Deleted and made again under the same name: a new id, read afresh.
	r2 := r
	r2.ID = hexRand(12)
	push(r2, "", c3)
	a, commit, _, err = resolve(r2, "main")
	if g, _ := a.Guess(); err != nil || commit != c3 || g.ID != r.ID || a.Same(r2, c3) {
		t.Fatalf("new repository under the old name: %s %v, guessed %s, same %v", commit, err, g.ID, a.Same(r2, c3))
	}
	// Ownership changed hands (same id, an organization now): not the same.
	a, commit, _, _ = resolve(r2, "main")
	r3 := r2
	r3.Owner = access.OwnerOrg
	if !a.Same(r2, commit) || a.Same(r3, commit) {
		t.Fatalf("same %v for the guessed repository, %v for another owner", a.Same(r2, commit), a.Same(r3, commit))
	}
	if _, _, _, err := resolve(r2, "nope"); apperr.KindOf(err) != apperr.NotExist {
		t.Fatalf("missing branch: %v", err)
	}
}
