package commitverify

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/signature"
)

// Commit list limits.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
	// MaxLogDepth bounds how far one page walks the history (offset and
	// page together).
	MaxLogDepth = 10000
)

// Commits lists the commits reachable from rev (a branch, a tag or a
// commit id with a record), newest first by committer date, as git log
// does, each with its stored record; offset and limit page it, more says
// whether a next page exists. Commits pushed before their repository had
// records (before the git server ran the hooks) end the walk.
func (s *Service) Commits(ctx context.Context, c access.Caller, typ access.RepoType, ns, name, rev string, offset, limit int) (recs []Record, more bool, err error) {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	if limit > MaxPageSize || offset < 0 || offset+limit > MaxLogDepth {
		return nil, false, apperr.E(apperr.Invalid, "page out of range: at most %d commits per page and %d deep", MaxPageSize, MaxLogDepth)
	}
	r, err := s.Repos.Info(ctx, c, typ, ns, name)
	if err != nil {
		return nil, false, err
	}
	if s.Refs == nil {
		return nil, false, fmt.Errorf("commitverify: no refs store configured")
	}
	tip, ok, err := gitref.Resolve(ctx, s.Refs, r.ID, rev, func(ctx context.Context, id string) (bool, error) {
		m, err := s.Store.Records(ctx, r.ID, []string{id})
		return len(m) == 1, err
	})
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, apperr.E(apperr.NotExist, "Revision %q not found in %s", rev, r.FullName())
	}
	first, err := s.Store.Records(ctx, r.ID, []string{tip})
	if err != nil {
		return nil, false, err
	}
	q := &byDate{}
	seen := map[string]bool{tip: true}
	if rec, ok := first[tip]; ok && rec.Kind == signature.Commit {
		heap.Push(q, rec)
	}
	n := 0
	for q.Len() > 0 {
		rec := heap.Pop(q).(Record)
		if n >= offset+limit {
			return recs, true, nil
		}
		if n >= offset {
			recs = append(recs, rec)
		}
		n++
		var next []string
		for _, p := range rec.Parents {
			if !seen[p] {
				seen[p] = true
				next = append(next, p)
			}
		}
		if len(next) == 0 {
			continue
		}
		found, err := s.Store.Records(ctx, r.ID, next)
		if err != nil {
			return nil, false, err
		}
		for _, id := range next {
			if p, ok := found[id]; ok {
				heap.Push(q, p)
			}
		}
	}
	return recs, false, nil
}

// byDate is a max-heap of commit records by committer time, then id.
type byDate []Record

func (h byDate) Len() int { return len(h) }
func (h byDate) Less(i, j int) bool {
	ti, tj := unix(h[i]), unix(h[j])
	if ti != tj {
		return ti > tj
	}
	return h[i].ObjectID > h[j].ObjectID
}
func (h byDate) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *byDate) Push(x any)   { *h = append(*h, x.(Record)) }
func (h *byDate) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func unix(r Record) int64 {
	if r.Committer != nil {
		return r.Committer.Unix
	}
	return 0
}
