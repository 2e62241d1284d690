package files

import (
	"context"
	"sort"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// MaxPathsInfo bounds the paths of one paths-info call.
const MaxPathsInfo = 1000

// PathsInfoInput is a paths-info call.
type PathsInfoInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Revision  string
	Paths     []string
	Expand    bool
}

// PathsInfo answers the entries of the given paths at a revision, shaped
// like the tree's: a file, or a folder when files lie under the path;
// paths that are neither are left out, as the Hub does.
func (s *Service) PathsInfo(ctx context.Context, in PathsInfoInput) ([]TreeEntry, error) {
	if len(in.Paths) > MaxPathsInfo {
		return nil, apperr.E(apperr.Invalid, "At most %d paths per call", MaxPathsInfo)
	}
	r, err := s.authorize(ctx, in.Caller, in.Type, in.Namespace, in.Name)
	if err != nil {
		return nil, err
	}
	commit, err := s.resolve(ctx, r, in.Revision)
	if err != nil {
		return nil, err
	}
	out := []TreeEntry{}
	var fileIdx []int
	var fileEntries []Entry
	seen := map[string]bool{}
	for _, p := range in.Paths {
		p = strings.Trim(p, "/")
		if p == "" || len(p) > MaxPathLen || seen[p] {
			continue
		}
		seen[p] = true
		e, ok, err := s.file(ctx, r.ID, commit, p)
		if err != nil {
			return nil, err
		}
		if ok {
			te := TreeEntry{Type: "file", OID: e.BlobID, Size: e.Size, Path: e.Path}
			if e.LFS != nil {
				te.Size = e.LFS.Size
				te.LFS = &LFSJSON{OID: e.LFS.OID, Size: e.LFS.Size, PointerSize: e.Size}
			}
			fileIdx = append(fileIdx, len(out))
			fileEntries = append(fileEntries, e)
			out = append(out, te)
			continue
		}
		under, err := s.files(ctx, r.ID, commit, p+"/")
		if err != nil {
			return nil, err
		}
		if len(under) > 0 {
			out = append(out, TreeEntry{Type: "directory", Path: p})
		}
	}
	if in.Expand && len(fileEntries) > 0 {
		if err := s.expand(ctx, r, commit, out, fileIdx, fileEntries); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
