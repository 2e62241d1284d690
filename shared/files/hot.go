package files

import (
	"container/list"
	"context"
	"sync"

	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/scan"
)

// Bounds of the download path's in-memory caches (per function instance).
const (
	// HotEntries bounds the cached file entries. A commit's file index is
	// immutable, so an entry read once is served from memory afterwards
	// with no staleness to bound; ~300 bytes each.
	HotEntries = 20000
	// HotHints bounds the remembered repository ids and ref tips. They
	// are only guesses that let the reads of a download start together;
	// each is checked against the fresh read before anything is served.
	HotHints = 10000
	// HotListed bounds the file entries of the listings kept (a listing
	// of an indexed commit is immutable too), so that the pages of a
	// large tree are cut from one read of it.
	HotListed = 200000
)

// lru is a map bounded to max keys, dropping the least recently used;
// safe for concurrent use.
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	cost  func(V) int // nil: 1 each
	total int
	ll    *list.List
	m     map[K]*list.Element
}

type lruItem[K comparable, V any] struct {
	k K
	v V
	c int
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, ll: list.New(), m: map[K]*list.Element{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*lruItem[K, V]).v, true
	}
	var zero V
	return zero, false
}

func (c *lru[K, V]) put(k K, v V) {
	n := 1
	if c.cost != nil {
		n = c.cost(v)
	}
	if n > c.max {
		return // larger than the whole cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		it := el.Value.(*lruItem[K, V])
		c.total += n - it.c
		it.v, it.c = v, n
		c.ll.MoveToFront(el)
	} else {
		c.m[k] = c.ll.PushFront(&lruItem[K, V]{k, v, n})
		c.total += n
	}
	for c.total > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		it := old.Value.(*lruItem[K, V])
		delete(c.m, it.k)
		c.total -= it.c
	}
}

func (c *lru[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// hotCache is what the download path keeps between requests.
type hotCache struct {
	entries *lru[entryKey, Entry]   // authoritative: immutable index
	repoIDs *lru[string, string]    // type/ns/name -> id: a guess
	tips    *lru[[2]string, string] // repo id, revision -> commit: a guess
	lists   *lru[entryKey, []Entry] // repo id, commit, prefix -> files
}

type entryKey struct{ repoID, commit, path string }

func (s *Service) hot() *hotCache {
	s.hotOnce.Do(func() {
		s.hotC = &hotCache{entries: newLRU[entryKey, Entry](HotEntries), repoIDs: newLRU[string, string](HotHints),
			tips: newLRU[[2]string, string](HotHints), lists: newLRU[entryKey, []Entry](HotListed)}
		s.hotC.lists.cost = func(es []Entry) int { return len(es) + 1 }
	})
	return s.hotC
}

// file reads one file of an indexed commit, from memory when read before.
func (s *Service) file(ctx context.Context, repoID, commit, path string) (Entry, bool, error) {
	hc := s.hot()
	k := entryKey{repoID, commit, path}
	if e, ok := hc.entries.get(k); ok {
		return e, true, nil
	}
	e, ok, err := s.Store.File(ctx, repoID, commit, path)
	if err == nil && ok {
		hc.entries.put(k, e)
	}
	return e, ok, err
}

// files lists an indexed commit's files under prefix, from memory when
// listed before. The slice is shared: callers must not modify it.
func (s *Service) files(ctx context.Context, repoID, commit, prefix string) ([]Entry, error) {
	hc := s.hot()
	k := entryKey{repoID, commit, prefix}
	if es, ok := hc.lists.get(k); ok {
		return es, nil
	}
	es, err := s.Store.Files(ctx, repoID, commit, prefix)
	if err == nil {
		hc.lists.put(k, es)
	}
	return es, err
}

// refResult is a revision resolved against a guessed repository id.
type refResult struct {
	commit string
	ok     bool
	err    error
}

// resolveRef resolves rev in the repository with id repoID (no error
// shaping: see resolve).
func (s *Service) resolveRef(ctx context.Context, repoID, rev string) refResult {
	id, ok, err := gitref.Resolve(ctx, s.Refs, repoID, rev, func(ctx context.Context, id string) (bool, error) {
		return s.Store.CommitIndexed(ctx, repoID, id)
	})
	return refResult{id, ok, err}
}

// scanResult is a newest verdict read ahead.
type scanResult struct {
	key string
	res scan.Result
	ok  bool
	err error
}
