package files

import (
	"context"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/repo"
)

// Ahead is a revision being resolved before the caller is authorized, in
// the repository this instance last saw under the name asked for (as
// Resolve does for downloads): a repository page's reads then start
// together rather than one after the other. What it reads is used only
// once Resolved has checked the guess against the authorized repository.
type Ahead struct {
	key    string
	rev    string
	guess  repo.Repo
	commit string         // rev's commit last time, "" when unknown
	ref    chan refResult // nil without a guessed repository
}

// ResolveAhead starts resolving rev ("" or HEAD for the default branch)
// in the repository last seen as typ/ns/name, if any.
func (s *Service) ResolveAhead(ctx context.Context, typ access.RepoType, ns, name, rev string) *Ahead {
	if rev == "" || rev == "HEAD" {
		rev = DefaultBranch
	}
	hc := s.hot()
	a := &Ahead{key: string(typ) + "/" + ns + "/" + name, rev: rev}
	a.guess, _ = hc.repoIDs.get(a.key)
	if a.guess.ID == "" {
		return a
	}
	a.commit, _ = hc.tips.get([2]string{a.guess.ID, rev})
	a.ref = make(chan refResult, 1)
	go func() { a.ref <- s.resolveRef(ctx, a.guess.ID, rev) }()
	return a
}

// Guess is the repository and commit guessed ("" when none): reads that
// depend on them may start now, to be used only if Same confirms them.
func (a *Ahead) Guess() (repo.Repo, string) { return a.guess, a.commit }

// SameRepo reports whether the guessed repository was r (authorized):
// same id, name and owner, so that reads keyed by any of them stand.
func (a *Ahead) SameRepo(r repo.Repo) bool {
	g := a.guess
	return g.ID != "" && g.ID == r.ID && g.Type == r.Type && g.Namespace == r.Namespace && g.Name == r.Name && g.Owner == r.Owner
}

// Same reports whether the guess was r (authorized) at commit (resolved).
func (a *Ahead) Same(r repo.Repo, commit string) bool {
	return a.SameRepo(r) && a.commit != "" && a.commit == commit
}

// Resolved resolves the revision of a in r, which the caller is
// authorized to read: with the read started ahead when the guessed
// repository was r, else afresh. It remembers r and the commit as the
// next request's guesses.
func (s *Service) Resolved(ctx context.Context, a *Ahead, r repo.Repo) (string, error) {
	hc := s.hot()
	hc.repoIDs.put(a.key, repoGuess(r))
	var rr refResult
	if a.ref != nil && a.guess.ID == r.ID {
		rr = <-a.ref
	} else {
		rr = s.resolveRef(ctx, r.ID, a.rev)
	}
	if rr.err != nil {
		return "", rr.err
	}
	if !rr.ok {
		return "", revisionNotFound(r, a.rev)
	}
	hc.tips.put([2]string{r.ID, a.rev}, rr.commit)
	return rr.commit, nil
}

// repoGuess is what the guesses keep of a repository.
func repoGuess(r repo.Repo) repo.Repo {
	return repo.Repo{ID: r.ID, Type: r.Type, Namespace: r.Namespace, Name: r.Name, Owner: r.Owner}
}

// CardOf is the card of commit in r (authorized; commit resolved, so
// indexed): from memory when read before, else one read, kept.
func (s *Service) CardOf(ctx context.Context, r repo.Repo, commit string) (Card, bool, error) {
	if s.Cards == nil {
		return Card{}, false, nil
	}
	hc := s.hot()
	k := [2]string{r.ID, commit}
	if c, ok := hc.cards.get(k); ok {
		return c.card, c.found, nil
	}
	card, found, err := s.Cards.Card(ctx, r.ID, commit)
	if err == nil {
		hc.cards.put(k, cachedCard{card, found})
	}
	return card, found, err
}

// ResolveIn resolves rev in r (authorized) to an indexed commit.
func (s *Service) ResolveIn(ctx context.Context, r repo.Repo, rev string) (string, error) {
	if rev == "" || rev == "HEAD" {
		rev = DefaultBranch
	}
	return s.resolve(ctx, r, rev)
}
