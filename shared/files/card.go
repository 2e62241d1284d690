package files

import (
	"context"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/modelcard"
	"github.com/hubsec/trustlayer/shared/repo"
)

// ReadmeFile is what the push reports of a commit's README.md (see
// githook.Readme).
type ReadmeFile struct {
	Head     []byte
	Size     int64
	Complete bool
	Blame    []string
	Commits  map[string]modelcard.BlameCommit
}

// Card is the model card of one commit, computed when the push indexed it.
type Card struct {
	// Data is the front matter (the Hub's cardData), nil when none or
	// refused; Error says why it was refused.
	Data  map[string]any
	Error string
	// Body is the markdown after the front matter (at most
	// modelcard.MaxHead bytes); Truncated when README.md is longer.
	Body      string
	Truncated bool
	// Evals are the model-index metrics with the commit that wrote each.
	Evals []EvalResult
}

// EvalResult is one model-index metric with its provenance, the shape of
// GET /api/models/{ns}/{repo}/eval-results/{rev}.
type EvalResult struct {
	Task    modelcard.Task        `json:"task"`
	Dataset modelcard.Dataset     `json:"dataset"`
	Metric  modelcard.MetricValue `json:"metric"`
	Source  Source                `json:"source"`
	// SignedModel: README.md is covered by a verified model signature at
	// this revision (see ModelSignatures); false when none is known.
	SignedModel bool `json:"signedModel"`
}

// Source is the commit that last changed a metric's lines of README.md
// and its signature verification as recorded at its push.
type Source struct {
	Commit       string       `json:"commit"`
	AuthorName   string       `json:"authorName"`
	Date         *time.Time   `json:"date"` // author date
	Lines        [2]int       `json:"lines"`
	Verification Verification `json:"verification"`
}

// Verification is a commit's signature verdict.
type Verification struct {
	Status string  `json:"status"` // verified, unverified, unsigned
	Reason string  `json:"reason"`
	Signer *Signer `json:"signer"`
}

// Signer is the key that made a signature and who it speaks for.
type Signer struct {
	Type        string `json:"type,omitempty"` // gpg, ssh
	KeyID       string `json:"keyId,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	Name        string `json:"name,omitempty"`  // the committer, whose verified email the key's account holds
	Email       string `json:"email,omitempty"` // (only for a verified signature)
}

// ReasonNotRecorded: the commit that wrote a metric has no verification
// record (pushed before the hooks ran), or blame named none.
const ReasonNotRecorded = "not_recorded"

// Verifications reads the signature records of commits in a repository
// (the commit verification store, adapted in the uploads function).
type Verifications interface {
	Verifications(ctx context.Context, repoID string, commits []string) (map[string]Verification, error)
}

// ModelSignatures says whether README.md is covered by a verified model
// signature at a commit (OpenSSF model signing). Nil: no model is signed.
// The eval-results answer asks it at read time, so a signature recorded
// after the push counts.
type ModelSignatures interface {
	// r is the repository (its owner's signers are the ones trusted).
	ReadmeSigned(ctx context.Context, r repo.Repo, commit string) (bool, error)
}

// CardStore keeps cards per commit (filesddb.Store).
type CardStore interface {
	PutCard(ctx context.Context, repoID, commit string, c Card) error
	// Card reads commit's card; found false when README.md had none.
	Card(ctx context.Context, repoID, commit string) (Card, bool, error)
}

// buildCard parses a pushed README.md and finds each metric's source.
func (s *Service) buildCard(ctx context.Context, repoID string, rd *ReadmeFile) (Card, error) {
	mc := modelcard.Parse(rd.Head, rd.Complete)
	c := Card{Data: mc.Data, Error: mc.Error, Body: mc.Body, Truncated: !rd.Complete || mc.Truncated}
	if len(mc.Metrics) == 0 {
		return c, nil
	}
	srcs := make([]string, len(mc.Metrics))
	var ids []string
	seen := map[string]bool{}
	for i, m := range mc.Metrics {
		srcs[i] = modelcard.LastChange(rd.Blame, rd.Commits, m.FirstLine, m.LastLine)
		if srcs[i] != "" && !seen[srcs[i]] {
			seen[srcs[i]] = true
			ids = append(ids, srcs[i])
		}
	}
	vs := map[string]Verification{}
	if s.Verifications != nil && len(ids) > 0 {
		var err error
		if vs, err = s.Verifications.Verifications(ctx, repoID, ids); err != nil {
			return Card{}, fmt.Errorf("read verification records: %w", err)
		}
	}
	for i, m := range mc.Metrics {
		src := Source{Commit: srcs[i], Lines: [2]int{m.FirstLine, m.LastLine}}
		if bc, ok := rd.Commits[srcs[i]]; ok && srcs[i] != "" {
			src.AuthorName = bc.AuthorName
			if bc.AuthorTime > 0 {
				d := time.Unix(bc.AuthorTime, 0).UTC()
				src.Date = &d
			}
		}
		v, ok := vs[srcs[i]]
		if !ok {
			v = Verification{Status: "unverified", Reason: ReasonNotRecorded}
		}
		src.Verification = v
		c.Evals = append(c.Evals, EvalResult{Task: m.Task, Dataset: m.Dataset, Metric: m.Metric, Source: src})
	}
	return c, nil
}

// CardAt reads the model card of r (already authorized) at rev; found
// false when the commit has no README.md.
func (s *Service) CardAt(ctx context.Context, r repo.Repo, rev string) (card Card, commit string, found bool, err error) {
	if rev == "" || rev == "HEAD" {
		rev = DefaultBranch
	}
	if s.Cards == nil {
		commit, err = s.resolve(ctx, r, rev)
		return Card{}, commit, false, err
	}
	// A commit's card is stored before the commit is marked indexed and
	// never changes: one read here is kept by (repository, commit), and a
	// full commit id found there needs no resolving (only an indexed
	// commit of this repository is ever kept).
	hc := s.hot()
	if validID(rev) {
		if c, ok := hc.cards.get([2]string{r.ID, rev}); ok {
			return c.card, rev, c.found, nil
		}
	}
	commit, err = s.resolve(ctx, r, rev)
	if err != nil {
		return Card{}, "", false, err
	}
	if c, ok := hc.cards.get([2]string{r.ID, commit}); ok {
		return c.card, commit, c.found, nil
	}
	card, found, err = s.Cards.Card(ctx, r.ID, commit)
	if err == nil {
		hc.cards.put([2]string{r.ID, commit}, cachedCard{card, found})
	}
	return card, commit, found, err
}

// cachedCard is a commit's card, or that it has none.
type cachedCard struct {
	card  Card
	found bool
}

// EvalResults answers GET /api/models/{ns}/{name}/eval-results/{rev}: the
// model-index metrics of README.md at rev, each with the commit that
// last changed its lines and that commit's verification.
func (s *Service) EvalResults(ctx context.Context, c access.Caller, ns, name, rev string) ([]EvalResult, error) {
	r, err := s.authorize(ctx, c, access.RepoModel, ns, name)
	if err != nil {
		return nil, err
	}
	card, commit, _, err := s.CardAt(ctx, r, rev)
	if err != nil {
		return nil, err
	}
	return s.withSignedModel(ctx, r, commit, card.Evals)
}

// withSignedModel sets SignedModel from the model signatures, when known.
func (s *Service) withSignedModel(ctx context.Context, r repo.Repo, commit string, evals []EvalResult) ([]EvalResult, error) {
	out := make([]EvalResult, len(evals))
	copy(out, evals)
	if s.ModelSignatures != nil && len(out) > 0 {
		signed, err := s.ModelSignatures.ReadmeSigned(ctx, r, commit)
		if err != nil {
			return nil, fmt.Errorf("model signatures: %w", err)
		}
		for i := range out {
			out[i].SignedModel = signed
		}
	}
	return out, nil
}
