package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// MaxListLimit bounds one page of a repository list (huggingface.js asks
// for 500 at most).
const MaxListLimit = 1000

// DefaultListLimit is the page size when the caller gives none.
const DefaultListLimit = 100

// ListInput is a repository list request (GET /api/models?author=...).
type ListInput struct {
	Type   access.RepoType
	Author string // namespace; "" lists public repositories of every namespace
	Search string // substring of "namespace/name", letter case ignored
	Limit  int    // page size; 0 for DefaultListLimit
	After  string // cursor: the lower-case name the previous page ended on
}

// ListPage is one page of a list: Next is the cursor of the next page, ""
// on the last one.
type ListPage struct {
	Repos []Repo
	Next  string
}

// List lists the repositories of one type in a namespace that the caller
// may read (repo.read on each), in name order, one page at a time; without
// an author, the public repositories of every namespace. Namespaces that do
// not exist list nothing, as namespaces without repositories do, so a list
// never says whether a name is taken.
func (s *Service) List(ctx context.Context, c access.Caller, in ListInput) (ListPage, error) {
	if in.Limit < 0 || in.Limit > MaxListLimit {
		return ListPage{}, apperr.E(apperr.Invalid, "limit must be between 1 and %d", MaxListLimit)
	}
	if in.Limit == 0 {
		in.Limit = DefaultListLimit
	}
	if in.Author == "" {
		if len(in.After) > 256 || len(in.Search) > 256 {
			return ListPage{}, apperr.E(apperr.Invalid, "cursor or search is too long")
		}
		repos, next, err := s.Store.PublicRepos(ctx, in.Type, in.Search, in.After, in.Limit)
		if err != nil {
			return ListPage{}, fmt.Errorf("list public %s repos: %w", in.Type, err)
		}
		return ListPage{Repos: repos, Next: next}, nil
	}
	if checkNamespace("author", in.Author) != nil {
		return ListPage{}, nil
	}
	ns, err := s.Store.Namespace(ctx, in.Author)
	if errors.Is(err, store.ErrNotFound) {
		return ListPage{}, nil
	}
	if err != nil {
		return ListPage{}, fmt.Errorf("resolve namespace %s: %w", in.Author, err)
	}
	roles, err := s.roles(ctx, c, ns)
	if err != nil {
		return ListPage{}, err
	}
	// The namespace's index, in name order, a chunk at a time from the
	// cursor: a page reads at most ScanPerPage items, whatever the
	// namespace holds, and ends early (with a cursor) when the caller
	// may read few of them or few match the search.
	p := c.Principal(roles)
	search := strings.ToLower(in.Search)
	var out []Repo
	after, scanned := strings.ToLower(in.After), 0
	budget := ScanPerPage(in.Limit)
	for {
		chunk := in.Limit + 1
		if chunk > budget-scanned {
			chunk = budget - scanned
		}
		repos, more, err := s.Store.ReposOfType(ctx, ns.Name, in.Type, after, chunk)
		if err != nil {
			return ListPage{}, fmt.Errorf("list repos of %s: %w", ns.Name, err)
		}
		scanned += len(repos)
		for _, r := range repos {
			after = strings.ToLower(r.Name)
			if r.Type != in.Type || search != "" && !strings.Contains(strings.ToLower(r.FullName()), search) ||
				!access.Decide(p, access.RepoRead, r.Resource()).Allow {
				continue
			}
			out = append(out, r)
			if len(out) > in.Limit {
				return ListPage{Repos: out[:in.Limit], Next: strings.ToLower(out[in.Limit-1].Name)}, nil
			}
		}
		if !more || len(repos) == 0 {
			return ListPage{Repos: out}, nil
		}
		if scanned >= budget {
			// A short page: the list goes on after the last item read.
			return ListPage{Repos: out, Next: after}, nil
		}
	}
}

// ScanPerPage bounds the index items one page of a namespace's list reads:
// ten pages' worth, at least 1,000.
func ScanPerPage(limit int) int {
	if n := 10 * (limit + 1); n > 1000 {
		return n
	}
	return 1000
}
