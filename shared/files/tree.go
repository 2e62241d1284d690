package files

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// TreeEntry is one file or folder of the list, in the Hub's shape.
type TreeEntry struct {
	Type string   `json:"type"` // "file" or "directory"
	OID  string   `json:"oid"`  // git blob id ("" for a directory)
	Size int64    `json:"size"`
	Path string   `json:"path"`
	LFS  *LFSJSON `json:"lfs,omitempty"`
	// With expand, for files:
	SecurityFileStatus *scan.FileStatus `json:"securityFileStatus,omitempty"`
	Security           *Security        `json:"security,omitempty"`
}

// LFSJSON is an LFS file's pointer.
type LFSJSON struct {
	OID         string `json:"oid"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

// Security is the older per-file block, kept for older clients.
type Security struct {
	RepositoryID     string         `json:"repositoryId"`
	BlobID           string         `json:"blobId"`
	Name             string         `json:"name"`
	Safe             bool           `json:"safe"`
	AVScan           *OldAVScan     `json:"avScan"`
	PickleImportScan *OldPickleScan `json:"pickleImportScan"`
	Status           scan.Status    `json:"status"`
	Reason           string         `json:"reason,omitempty"`
}

// OldAVScan is the older antivirus block.
type OldAVScan struct {
	VirusFound bool     `json:"virusFound"`
	VirusNames []string `json:"virusNames"`
}

// OldPickleScan is the older pickle block.
type OldPickleScan struct {
	HighestSafetyLevel string              `json:"highestSafetyLevel"`
	Imports            []scan.PickleImport `json:"imports"`
}

// TreeInput is a file list call.
type TreeInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Revision  string // branch, tag or full commit id
	Path      string // "" for the root
	Recursive bool
	Expand    bool
	// Cursor and Limit page the list (TreePage).
	Cursor string
	Limit  int
}

// Tree lists the files (and, unless recursive, the folders) under a path
// at a revision, all of them (see TreePage for pages). With Expand each
// file carries its scan status, and every file never scanned is queued.
func (s *Service) Tree(ctx context.Context, in TreeInput) ([]TreeEntry, error) {
	in.Limit, in.Cursor = 0, ""
	p, err := s.TreePage(ctx, in)
	return p.Entries, err
}

// TreePage is one page of a listing.
type TreePage struct {
	Entries []TreeEntry
	// Next is the cursor of the next page; "" on the last.
	Next string
}

// TreePage lists like Tree, by path, at most in.Limit entries (0: all)
// after in.Cursor (the Next of the page before). Only the page's files
// are expanded.
func (s *Service) TreePage(ctx context.Context, in TreeInput) (TreePage, error) {
	r, err := s.authorize(ctx, in.Caller, in.Type, in.Namespace, in.Name)
	if err != nil {
		return TreePage{}, err
	}
	after := ""
	if in.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err != nil || len(b) == 0 || len(b) > MaxPathLen {
			return TreePage{}, apperr.E(apperr.Invalid, "cursor is not one this API gave")
		}
		after = string(b)
	}
	commit, err := s.resolve(ctx, r, in.Revision)
	if err != nil {
		return TreePage{}, err
	}
	dir := strings.Trim(in.Path, "/")
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	var out []TreeEntry
	var files []*Entry
	listed := false
	if !in.Recursive {
		// One folder: its tree alone, not every file under it.
		nodes, indexed, found, err := s.level(ctx, r.ID, commit, dir)
		if err != nil {
			return TreePage{}, err
		}
		if indexed && found {
			listed = true
			for _, n := range nodes {
				if n.IsTree() {
					out = append(out, TreeEntry{Type: "directory", Path: prefix + n.Name})
					files = append(files, nil)
					continue
				}
				e := NodeEntry(prefix+n.Name, n)
				out = append(out, treeEntry(e))
				files = append(files, &e)
			}
		}
	}
	if !listed {
		out, files, err = s.listed(ctx, r, commit, dir, prefix, in)
		if err != nil {
			return TreePage{}, err
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return out[idx[i]].Path < out[idx[j]].Path })
	start := sort.Search(len(idx), func(i int) bool { return out[idx[i]].Path > after })
	end := len(idx)
	if in.Limit > 0 && start+in.Limit < end {
		end = start + in.Limit
	}
	page := TreePage{Entries: make([]TreeEntry, 0, end-start)}
	var fileIdx []int
	var fileEntries []Entry
	for _, i := range idx[start:end] {
		if files[i] != nil {
			fileIdx = append(fileIdx, len(page.Entries))
			fileEntries = append(fileEntries, *files[i])
		}
		page.Entries = append(page.Entries, out[i])
	}
	if end < len(idx) && len(page.Entries) > 0 {
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(page.Entries[len(page.Entries)-1].Path))
	}
	if in.Expand {
		if err := s.expand(ctx, r, commit, page.Entries, fileIdx, fileEntries); err != nil {
			return TreePage{}, err
		}
	}
	return page, nil
}

// listed is the list of a commit indexed before trees, or of a recursive
// listing: every file under prefix, read by path.
func (s *Service) listed(ctx context.Context, r repo.Repo, commit, dir, prefix string, in TreeInput) ([]TreeEntry, []*Entry, error) {
	all, err := s.files(ctx, r.ID, commit, prefix)
	if err != nil {
		return nil, nil, err
	}
	if dir != "" && len(all) == 0 {
		// A file itself, or nothing.
		e, ok, err := s.file(ctx, r.ID, commit, dir)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, apperr.E(apperr.NotExist, "Path %q not found at revision %s", dir, in.Revision).WithCode(apperr.CodeEntryNotFound)
		}
		all = []Entry{e}
		prefix = ""
	}
	var out []TreeEntry
	var files []*Entry
	dirs := map[string]bool{}
	for i := range all {
		e := &all[i]
		rest := strings.TrimPrefix(e.Path, prefix)
		if !in.Recursive {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				d := prefix + rest[:i]
				if !dirs[d] {
					dirs[d] = true
					out = append(out, TreeEntry{Type: "directory", Path: d})
					files = append(files, nil)
				}
				continue
			}
		}
		te := TreeEntry{Type: "file", OID: e.BlobID, Size: e.Size, Path: e.Path}
		if e.LFS != nil {
			te.Size = e.LFS.Size
			te.LFS = &LFSJSON{OID: e.LFS.OID, Size: e.LFS.Size, PointerSize: e.Size}
		}
		out = append(out, te)
		files = append(files, e)
	}
	return out, files, nil
}

// expand adds each file's scan status and queues what was never scanned.
// Settled verdicts are read 100 files per BatchGetItem; only a file
// without one (pending, retrying, never scanned) is read on its own.
//
// A model file whose loader reads files beside it (ONNX external data, a
// SavedModel's variables) is judged against commit's tree as well
// (companions.go), within MaxCompanionReads index reads per listing.
func (s *Service) expand(ctx context.Context, r repo.Repo, commit string, out []TreeEntry, idx []int, entries []Entry) error {
	type found struct {
		res scan.Result
		ok  bool
		ref *scan.ObjectRef
	}
	got := make([]found, len(entries))
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = ScanKey(r, e)
	}
	settled, err := s.Results.SettledResults(ctx, s.Bucket, keys)
	if err != nil {
		return fmt.Errorf("scan status: %w", err)
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i, e := range entries {
		if res, ok := settled[keys[i]]; ok {
			got[i].res, got[i].ok = res, true
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, e Entry) {
			defer func() { <-sem; wg.Done() }()
			key := keys[i]
			res, ok, err := s.Results.LatestResult(ctx, s.Bucket, key)
			if err == nil && ok {
				s.settle(ctx, res)
			}
			if err == nil && ok && res.ReportKey != "" {
				// A summary: the listing shows the whole report.
				if full, rerr := scan.LoadReport(ctx, s.Reports, s.Bucket, res); rerr != nil {
					s.Log.WarnContext(ctx, "scan report, listing its summary", "key", key, "err", rerr)
				} else {
					res = full
				}
			}
			if err == nil && !ok {
				// Never scanned: queue the object if it is in the bucket.
				var info scan.ObjectInfo
				var exists bool
				info, exists, err = s.Objects.Stat(ctx, key)
				if err == nil && exists {
					got[i].ref = &scan.ObjectRef{Bucket: s.Bucket, Key: key, VersionID: info.VersionID, ETag: info.ETag, Size: info.Size}
				}
			}
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("scan status of %s: %w", e.Path, err)
				}
				mu.Unlock()
				return
			}
			got[i].res, got[i].ok = res, ok
		}(i, e)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	var missing []scan.ObjectRef
	now := s.now()
	cc := &companionCheck{s: s, repoID: r.ID, commit: commit}
	for i, e := range entries {
		res, ok := got[i].res, got[i].ok
		if got[i].ref != nil {
			missing = append(missing, *got[i].ref)
			res, ok = scan.Result{Status: scan.StatusPending, Deadline: now.Add(s.Settings.Timeout + s.Settings.Grace)}, true
		}
		if ok {
			var err error
			if res, err = cc.withCompanions(ctx, e.Path, res); err != nil {
				return fmt.Errorf("companion files of %s: %w", e.Path, err)
			}
		}
		te := &out[idx[i]]
		st := scan.HubFileStatus(res, ok)
		te.SecurityFileStatus = &st
		te.Security = oldSecurity(r.ID, e, res, ok)
	}
	if len(missing) > 0 {
		if _, err := scan.QueueMissing(ctx, s.Scans, s.Queue, s.Settings, missing, now); err != nil {
			s.Log.WarnContext(ctx, "queue scans", "repo", r.FullName(), "count", len(missing), "err", err)
		}
	}
	return nil
}

func oldSecurity(repoID string, e Entry, res scan.Result, ok bool) *Security {
	st := res.Status
	if !ok {
		st = scan.StatusPending
	}
	sec := &Security{RepositoryID: repoID, BlobID: e.BlobID, Name: e.Path, Safe: ok && res.Safe(), Status: st, Reason: res.Reason}
	if ok && res.Status.Final() {
		names := res.VirusNames()
		sec.AVScan = &OldAVScan{VirusFound: len(names) > 0, VirusNames: names}
		if names == nil {
			sec.AVScan.VirusNames = []string{}
		}
		if res.IsPickle() {
			p := &OldPickleScan{HighestSafetyLevel: res.Highest.String(), Imports: []scan.PickleImport{}}
			for _, i := range res.Imports {
				p.Imports = append(p.Imports, scan.PickleImport{Module: i.Module, Name: i.Name, Safety: i.Safety.String()})
			}
			sec.PickleImportScan = p
		}
	}
	return sec
}

// resolve turns a revision into an indexed commit: a branch, a tag, or a
// full commit id that a push left at a ref tip.
func (s *Service) resolve(ctx context.Context, r repo.Repo, rev string) (string, error) {
	id, ok, err := gitref.Resolve(ctx, s.Refs, r.ID, rev, func(ctx context.Context, id string) (bool, error) {
		return s.Store.CommitIndexed(ctx, r.ID, id)
	})
	if err != nil {
		return "", err
	}
	if !ok {
		return "", revisionNotFound(r, rev)
	}
	return id, nil
}

func revisionNotFound(r repo.Repo, rev string) error {
	return apperr.E(apperr.NotExist, "Revision %q not found in %s", rev, r.FullName()).WithCode(apperr.CodeRevisionNotFound)
}

// authorize loads the repository and decides repo.read for the caller.
func (s *Service) authorize(ctx context.Context, c access.Caller, typ access.RepoType, ns, name string) (repo.Repo, error) {
	return s.Repos.AuthorizeRead(ctx, c, access.RepoRead, typ, ns, name)
}

// authorizeAction loads the repository and decides action for the caller.
func (s *Service) authorizeAction(ctx context.Context, c access.Caller, action access.Action, typ access.RepoType, ns, name string) (repo.Repo, error) {
	return s.Repos.Authorize(ctx, c, action, typ, ns, name)
}
