package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	all, err := s.Store.ReposOf(ctx, ns.Name)
	if err != nil {
		return ListPage{}, fmt.Errorf("list repos of %s: %w", ns.Name, err)
	}
	p := c.Principal(roles)
	search := strings.ToLower(in.Search)
	var out []Repo
	for _, r := range all {
		key := strings.ToLower(r.Name)
		switch {
		case r.Type != in.Type, key <= in.After,
			search != "" && !strings.Contains(strings.ToLower(r.FullName()), search),
			!access.Decide(p, access.RepoRead, r.Resource()).Allow:
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	page := ListPage{Repos: out}
	if len(out) > in.Limit {
		page.Repos = out[:in.Limit]
		page.Next = strings.ToLower(out[in.Limit-1].Name)
	}
	return page, nil
}
