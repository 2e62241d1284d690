package files

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/repo"
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
	// HotCardKiB bounds the model cards kept (immutable per commit), in
	// KiB of their markdown.
	HotCardKiB = 32 << 10
	// VerdictTTL bounds how long a final scan verdict (ok, infected,
	// error) and an LFS file's recorded object are served from memory: a
	// verdict a rescan changes takes effect on downloads within VerdictTTL.
	// Pending verdicts are never kept.
	VerdictTTL = 5 * time.Second
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
	repoIDs *lru[string, repo.Repo] // type/ns/name as asked -> id, canonical names: a guess
	tips    *lru[[2]string, string] // repo id, revision -> commit: a guess
	lists   *lru[entryKey, []Entry] // repo id, commit, prefix -> files
	// The folder view's: immutable trees and commits' root trees, and
	// folder counts of settled trees (see FolderCounts).
	trees  *lru[[2]string, []Node]
	roots  *lru[[2]string, string]
	counts *lru[[2]string, FolderCounts]
	// Cards by repository id and commit, weighed in KiB (HotCardKiB).
	cards *lru[[2]string, cachedCard]
	// Final verdicts by bucket key (and version), and LFS objects by repo
	// id and oid, each for VerdictTTL.
	verdicts *lru[string, timed[scan.Result]]
	lfsFiles *lru[[2]string, timed[lfs.File]]
}

// timed is a value and when it was read.
type timed[V any] struct {
	v  V
	at time.Time
}

func fresh[V any](c *lru[string, timed[V]], k string, now time.Time) (V, bool) {
	t, ok := c.get(k)
	if !ok || now.Sub(t.at) >= VerdictTTL || now.Before(t.at) {
		var zero V
		return zero, false
	}
	return t.v, true
}

type entryKey struct{ repoID, commit, path string }

func (s *Service) hot() *hotCache {
	s.hotOnce.Do(func() {
		s.hotC = &hotCache{entries: newLRU[entryKey, Entry](HotEntries), repoIDs: newLRU[string, repo.Repo](HotHints),
			tips: newLRU[[2]string, string](HotHints), lists: newLRU[entryKey, []Entry](HotListed),
			verdicts: newLRU[string, timed[scan.Result]](HotHints), lfsFiles: newLRU[[2]string, timed[lfs.File]](HotHints)}
		s.hotC.lists.cost = func(es []Entry) int { return len(es) + 1 }
		s.hotC.trees = newLRU[[2]string, []Node](HotListed)
		s.hotC.trees.cost = func(ns []Node) int { return len(ns) + 1 }
		s.hotC.roots = newLRU[[2]string, string](HotHints)
		s.hotC.counts = newLRU[[2]string, FolderCounts](HotHints)
		s.hotC.cards = newLRU[[2]string, cachedCard](HotCardKiB)
		s.hotC.cards.cost = func(c cachedCard) int { return (len(c.card.Body)+len(c.card.Error))/1024 + 1 + 2*len(c.card.Evals) }
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

// cachedVerdict is key's final verdict read within VerdictTTL, if any.
func (s *Service) cachedVerdict(key string) (scan.Result, bool) {
	return fresh(s.hot().verdicts, key, s.now())
}

// keepVerdict remembers res for VerdictTTL when it is final.
func (s *Service) keepVerdict(key string, res scan.Result, at time.Time) {
	if res.Status.Final() {
		s.hot().verdicts.put(key, timed[scan.Result]{res, at})
	}
}

// lfsFile reads the LFS object recorded for oid in a repository, from
// memory within VerdictTTL.
func (s *Service) lfsFile(ctx context.Context, repoID, oid string) (lfs.File, bool, error) {
	hc := s.hot()
	k := [2]string{repoID, oid}
	now := s.now()
	if t, ok := hc.lfsFiles.get(k); ok && now.Sub(t.at) < VerdictTTL && !now.Before(t.at) {
		return t.v, true, nil
	}
	f, ok, err := s.LFS.File(ctx, repoID, oid)
	if err == nil && ok {
		hc.lfsFiles.put(k, timed[lfs.File]{f, now})
	}
	return f, ok, err
}
