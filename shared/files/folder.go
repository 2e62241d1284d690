package files

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// FolderCounts is how many files are under a folder (at any depth) and how
// many of them are infected, pending and in error. A file counts as
// pending until its result is settled: while queued or scanning, never
// scanned, or in error with a retry to come; it counts as an error once
// the scanner gave up on it.
type FolderCounts struct {
	Files, Infected, Pending, Errors int
	// At is when the counts were taken.
	At time.Time
}

func (c *FolderCounts) add(o FolderCounts) {
	c.Files += o.Files
	c.Infected += o.Infected
	c.Pending += o.Pending
	c.Errors += o.Errors
}

// CountsMaxAge bounds how long the counts of a settled tree are served
// from the cache. A tree is immutable and so are settled verdicts, except
// that a later scan of another version of the same content (a re-upload
// scanned with newer signatures) may replace a verdict: the counts of the
// folders above such a file follow within this age (the file's own row
// always reads its verdict).
const CountsMaxAge = time.Hour

// countParallel bounds the reads in flight of one folder's counts.
const countParallel = 8

// LevelStore is the part of the index by tree a folder view reads
// (filesddb.Store).
type LevelStore interface {
	// RootTree is commit's root tree; ok false when commit is not
	// indexed by tree.
	RootTree(ctx context.Context, repoID, commit string) (string, bool, error)
	// Tree reads the entries of a tree.
	Tree(ctx context.Context, repoID, id string) ([]Node, error)
	// FolderCounts reads the counts cached for trees, in batches; a tree
	// without is absent.
	FolderCounts(ctx context.Context, repoID string, trees []string) (map[string]FolderCounts, error)
	// PutFolderCounts caches the counts of a settled tree.
	PutFolderCounts(ctx context.Context, repoID, tree string, c FolderCounts) error
}

// Folder is one level of a repository at a revision.
type Folder struct {
	Commit string
	// File is set (and nothing else) when the path names a file.
	File *Entry
	// Dirs are the sub-folders by name, each with its counts.
	Dirs []FolderDir
	// Files are the level's files by name, each with its scan status
	// (expanded as the tree API's expand does).
	Files []TreeEntry
	// Counts are of every file under the folder.
	Counts FolderCounts
}

// FolderDir is a sub-folder of a Folder.
type FolderDir struct {
	Name, Path string
	Tree       string // its tree id ("" for a commit indexed before trees)
	Counts     FolderCounts
}

// Folder lists one level of in.Path at in.Revision: the sub-folders with
// how many of their files are infected, pending or in error, and the
// files with their scan status (queuing those never scanned).
//
// Its reads grow with the entries of the level, not with the files under
// it: the folders on the path and the level are one tree read each (none
// once in this instance's memory), the sub-folders' counts one
// BatchGetItem per 100 sub-folders, the files' verdicts one BatchGetItem
// per 100 files plus one query per file without a settled verdict. The
// counts of a sub-folder not yet cached are computed from its trees and
// its files' settled verdicts (one read per tree and one BatchGetItem per
// 100 files, no per-file read) and cached once none of its files is
// pending, for CountsMaxAge.
func (s *Service) Folder(ctx context.Context, in TreeInput) (Folder, error) {
	r, err := s.authorize(ctx, in.Caller, in.Type, in.Namespace, in.Name)
	if err != nil {
		return Folder{}, err
	}
	commit, err := s.resolve(ctx, r, in.Revision)
	if err != nil {
		return Folder{}, err
	}
	return s.FolderAt(ctx, r, commit, in.Revision, in.Path)
}

// FolderAt is Folder in r, which the caller is authorized to read, at
// commit, which rev resolved to.
func (s *Service) FolderAt(ctx context.Context, r repo.Repo, commit, rev, path string) (Folder, error) {
	dir := strings.Trim(path, "/")
	out := Folder{Commit: commit}
	nodes, indexed, found, err := s.level(ctx, r.ID, commit, dir)
	if err != nil {
		return Folder{}, err
	}
	if !indexed {
		return s.flatFolder(ctx, r, commit, dir)
	}
	if !found {
		if dir != "" {
			e, ok, err := s.file(ctx, r.ID, commit, dir)
			if err != nil {
				return Folder{}, err
			}
			if ok {
				out.File = &e
				return out, nil
			}
		}
		return Folder{}, apperr.E(apperr.NotExist, "Path %q not found at revision %s", dir, rev).WithCode(apperr.CodeEntryNotFound)
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	var ids []string
	var entries []Entry
	for _, n := range nodes {
		if n.IsTree() {
			out.Dirs = append(out.Dirs, FolderDir{Name: n.Name, Path: prefix + n.Name, Tree: n.ID})
			ids = append(ids, n.ID)
			continue
		}
		entries = append(entries, NodeEntry(prefix+n.Name, n))
	}
	counts, err := s.treeCounts(ctx, r, ids, newCountRun())
	if err != nil {
		return Folder{}, err
	}
	for i := range out.Dirs {
		out.Dirs[i].Counts = counts[out.Dirs[i].Tree]
	}
	if err := s.folderFiles(ctx, r, entries, &out); err != nil {
		return Folder{}, err
	}
	return out, nil
}

// folderFiles expands the level's files into out and adds up the counts.
func (s *Service) folderFiles(ctx context.Context, r repo.Repo, entries []Entry, out *Folder) error {
	sort.Slice(out.Dirs, func(i, j int) bool { return out.Dirs[i].Name < out.Dirs[j].Name })
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	out.Files = make([]TreeEntry, len(entries))
	idx := make([]int, len(entries))
	for i, e := range entries {
		idx[i] = i
		out.Files[i] = treeEntry(e)
	}
	if err := s.expand(ctx, r, out.Commit, out.Files, idx, entries); err != nil {
		return err
	}
	for _, d := range out.Dirs {
		out.Counts.add(d.Counts)
	}
	for _, f := range out.Files {
		out.Counts.Files++
		switch f.Security.Status {
		case scan.StatusInfected:
			out.Counts.Infected++
		case scan.StatusPending:
			out.Counts.Pending++
		case scan.StatusError:
			out.Counts.Errors++
		}
	}
	return nil
}

func treeEntry(e Entry) TreeEntry {
	te := TreeEntry{Type: "file", OID: e.BlobID, Size: e.Size, Path: e.Path}
	if e.LFS != nil {
		te.Size = e.LFS.Size
		te.LFS = &LFSJSON{OID: e.LFS.OID, Size: e.LFS.Size, PointerSize: e.Size}
	}
	return te
}

// flatFolder is Folder for a commit indexed before trees: its files are
// read by path prefix, and the sub-folders are counted from their files'
// settled verdicts, in batches.
func (s *Service) flatFolder(ctx context.Context, r repo.Repo, commit, dir string) (Folder, error) {
	out := Folder{Commit: commit}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	all, err := s.files(ctx, r.ID, commit, prefix)
	if err != nil {
		return Folder{}, err
	}
	if len(all) == 0 && dir != "" {
		e, ok, err := s.file(ctx, r.ID, commit, dir)
		if err != nil {
			return Folder{}, err
		}
		if !ok {
			return Folder{}, apperr.E(apperr.NotExist, "Path %q not found", dir).WithCode(apperr.CodeEntryNotFound)
		}
		out.File = &e
		return out, nil
	}
	dirs := map[string]int{}
	var under []string
	var underDir []int
	var entries []Entry
	for _, e := range all {
		rest := strings.TrimPrefix(e.Path, prefix)
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			k, ok := dirs[rest[:i]]
			if !ok {
				k = len(out.Dirs)
				dirs[rest[:i]] = k
				out.Dirs = append(out.Dirs, FolderDir{Name: rest[:i], Path: prefix + rest[:i]})
			}
			under = append(under, ScanKey(r, e))
			underDir = append(underDir, k)
			continue
		}
		entries = append(entries, e)
	}
	settled, err := s.Results.SettledResults(ctx, s.Bucket, under)
	if err != nil {
		return Folder{}, err
	}
	for i, k := range under {
		countResult(&out.Dirs[underDir[i]].Counts, settled, k)
	}
	// folderFiles sorts Dirs: the indexes above are used up.
	if err := s.folderFiles(ctx, r, entries, &out); err != nil {
		return Folder{}, err
	}
	return out, nil
}

// countResult counts the file of key by its settled result.
func countResult(c *FolderCounts, settled map[string]scan.Result, key string) {
	c.Files++
	res, ok := settled[key]
	switch {
	case !ok:
		c.Pending++
	case res.Status == scan.StatusInfected:
		c.Infected++
	case res.Status == scan.StatusError:
		c.Errors++
	}
}

// level reads the entries of folder dir of commit: indexed false when the
// commit is not indexed by tree, found false when dir is no folder of it.
func (s *Service) level(ctx context.Context, repoID, commit, dir string) (nodes []Node, indexed, found bool, err error) {
	ls, ok := s.Store.(LevelStore)
	if !ok {
		return nil, false, false, nil
	}
	hc := s.hot()
	id, ok := hc.roots.get([2]string{repoID, commit})
	if !ok {
		var have bool
		id, have, err = ls.RootTree(ctx, repoID, commit)
		if err != nil || !have {
			return nil, false, false, err
		}
		hc.roots.put([2]string{repoID, commit}, id)
	}
	nodes, err = s.tree(ctx, ls, repoID, id)
	if err != nil {
		return nil, true, false, err
	}
	if dir == "" {
		return nodes, true, true, nil
	}
	for _, seg := range strings.Split(dir, "/") {
		next := ""
		for _, n := range nodes {
			if n.Name == seg && n.IsTree() {
				next = n.ID
				break
			}
		}
		if next == "" {
			return nil, true, false, nil
		}
		if nodes, err = s.tree(ctx, ls, repoID, next); err != nil {
			return nil, true, false, err
		}
	}
	return nodes, true, true, nil
}

// tree reads a tree by id, from memory when read before (trees are
// immutable).
func (s *Service) tree(ctx context.Context, ls LevelStore, repoID, id string) ([]Node, error) {
	hc := s.hot()
	k := [2]string{repoID, id}
	if ns, ok := hc.trees.get(k); ok {
		return ns, nil
	}
	ns, err := ls.Tree(ctx, repoID, id)
	if err == nil {
		hc.trees.put(k, ns)
	}
	return ns, err
}

// countRun bounds the reads of one folder view's counts: in flight at
// once (sem), and the keys read one by one (lookups, up to
// LegacyLookups).
type countRun struct {
	sem     chan struct{}
	lookups atomic.Int64
}

func newCountRun() *countRun { return &countRun{sem: make(chan struct{}, countParallel)} }

// treeCounts gives the counts of each tree: from this instance's memory
// or the store's cache when taken less than CountsMaxAge ago, else
// computed from the tree (see Folder) and cached once settled.
func (s *Service) treeCounts(ctx context.Context, r repo.Repo, ids []string, run *countRun) (map[string]FolderCounts, error) {
	out := make(map[string]FolderCounts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ls := s.Store.(LevelStore)
	hc := s.hot()
	now := s.now()
	fresh := func(c FolderCounts) bool { return c.Pending == 0 && now.Sub(c.At) < CountsMaxAge }
	var need []string
	for _, id := range ids {
		if _, dup := out[id]; dup {
			continue
		}
		if c, ok := hc.counts.get([2]string{r.ID, id}); ok && fresh(c) {
			out[id] = c
			continue
		}
		out[id] = FolderCounts{}
		need = append(need, id)
	}
	if len(need) == 0 {
		return out, nil
	}
	sem := run.sem
	sem <- struct{}{}
	cached, err := ls.FolderCounts(ctx, r.ID, need)
	<-sem
	if err != nil {
		return nil, err
	}
	var todo []string
	for _, id := range need {
		if c, ok := cached[id]; ok && fresh(c) {
			out[id] = c
			hc.counts.put([2]string{r.ID, id}, c)
			continue
		}
		todo = append(todo, id)
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	for _, id := range todo {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			c, err := s.countTree(ctx, r, ls, id, run)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			out[id] = c
		}(id)
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}

// countTree counts the files under tree id from its entries, its
// sub-trees' counts and its files' settled verdicts, and caches the
// counts when none is pending.
func (s *Service) countTree(ctx context.Context, r repo.Repo, ls LevelStore, id string, run *countRun) (FolderCounts, error) {
	sem := run.sem
	sem <- struct{}{}
	nodes, err := s.tree(ctx, ls, r.ID, id)
	<-sem
	if err != nil {
		return FolderCounts{}, err
	}
	var subs, keys []string
	for _, n := range nodes {
		if n.IsTree() {
			subs = append(subs, n.ID)
		} else {
			keys = append(keys, ScanKey(r, NodeEntry(n.Name, n)))
		}
	}
	// Taken when its oldest part was.
	c := FolderCounts{At: s.now()}
	sub, err := s.treeCounts(ctx, r, subs, run)
	if err != nil {
		return FolderCounts{}, err
	}
	for _, id := range subs {
		c.add(sub[id])
		if at := sub[id].At; at.Before(c.At) {
			c.At = at
		}
	}
	sem <- struct{}{}
	settled, err := s.Results.SettledResults(ctx, s.Bucket, keys)
	<-sem
	if err != nil {
		return FolderCounts{}, err
	}
	if err := s.legacySettled(ctx, keys, settled, run); err != nil {
		return FolderCounts{}, err
	}
	for _, k := range keys {
		countResult(&c, settled, k)
	}
	if c.Pending == 0 {
		s.hot().counts.put([2]string{r.ID, id}, c)
		if err := ls.PutFolderCounts(ctx, r.ID, id, c); err != nil {
			s.log().WarnContext(ctx, "cache folder counts", "repo", r.FullName(), "tree", id, "err", err)
		}
	}
	return c, nil
}

// legacySettled reads one by one, within the view's LegacyLookups, the
// keys without a settled item: a verdict recorded before settled items
// existed is found (and its settled item written, see Settler), so such a
// file counts by its verdict, not as pending. A key truly pending or
// being retried stays out of settled. Past the bound the rest count as
// pending for this view (and the counts are not cached).
func (s *Service) legacySettled(ctx context.Context, keys []string, settled map[string]scan.Result, run *countRun) error {
	var missing []string
	for _, k := range keys {
		if _, ok := settled[k]; !ok {
			missing = append(missing, k)
		}
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	for _, k := range missing {
		if run.lookups.Add(1) > LegacyLookups {
			break
		}
		wg.Add(1)
		run.sem <- struct{}{}
		go func(k string) {
			defer func() { <-run.sem; wg.Done() }()
			res, ok, err := s.Results.LatestResult(ctx, s.Bucket, k)
			if err == nil && ok && settledResult(res) {
				s.settle(ctx, res)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			if ok && settledResult(res) {
				settled[k] = res
			}
		}(k)
	}
	wg.Wait()
	return first
}

// settledResult reports whether r no longer changes by itself: a verdict,
// or an error the scanner gave up on (no deadline), as a settled item is.
func settledResult(r scan.Result) bool {
	return r.Status.Final() || (r.Status == scan.StatusError && r.Deadline.IsZero())
}

// settle backfills r's settled item when the store can (Settler); a
// failure is logged, the view stands.
func (s *Service) settle(ctx context.Context, r scan.Result) {
	st, ok := s.Results.(Settler)
	if !ok || !settledResult(r) {
		return
	}
	if err := st.Settle(ctx, r); err != nil {
		s.log().WarnContext(ctx, "settle a verdict", "key", r.Object.Key, "err", err)
	}
}
