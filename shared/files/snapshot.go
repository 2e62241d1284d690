package files

import (
	"context"
	"sync"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// DefaultBranch is the revision of the repo info without one.
const DefaultBranch = "main"

// Sibling is one file of the repo info's siblings, as the Hub lists them.
type Sibling struct {
	RFilename string      `json:"rfilename"`
	Size      *int64      `json:"size,omitempty"`
	BlobID    string      `json:"blobId,omitempty"`
	LFS       *SiblingLFS `json:"lfs,omitempty"`
}

// SiblingLFS is an LFS sibling's pointer.
type SiblingLFS struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	PointerSize int64  `json:"pointerSize"`
}

// RepoSecurity is the repo info's securityRepoStatus.
type RepoSecurity struct {
	ScansDone       bool        `json:"scansDone"`
	FilesWithIssues []FileIssue `json:"filesWithIssues"`
}

// FileIssue is a file the scanner judged unsafe, or could not scan.
type FileIssue struct {
	Path   string `json:"path"`
	Level  string `json:"level"` // "unsafe" (infected) or "error"
	Reason string `json:"reason,omitempty"`
}

// Snapshot is a repository's files at a revision for the repo info.
type Snapshot struct {
	SHA      string
	Siblings []Sibling
	Security *RepoSecurity
	// CardData is README.md's front matter (nil when none or refused).
	CardData map[string]any
}

// SnapshotOf reads the files of r (already authorized by the caller) at
// rev ("" or "HEAD" for the default branch). A repository without its default
// branch yet answers an empty snapshot with found false (also when asked
// for it by name, as the clients do for a new repository); another missing
// revision is RevisionNotFound. With metadata each sibling carries its
// size, blob id and LFS pointer; with security the scan verdicts are read
// into securityRepoStatus.
func (s *Service) SnapshotOf(ctx context.Context, r repo.Repo, rev string, metadata, security bool) (Snapshot, bool, error) {
	out := Snapshot{Siblings: []Sibling{}}
	def := rev == "" || rev == "HEAD" || rev == DefaultBranch
	if def {
		rev = DefaultBranch
	}
	commit, err := s.resolve(ctx, r, rev)
	if err != nil {
		if def && apperr.KindOf(err) == apperr.NotExist {
			if security {
				out.Security = &RepoSecurity{ScansDone: true, FilesWithIssues: []FileIssue{}}
			}
			return out, false, nil
		}
		return out, false, err
	}
	all, err := s.files(ctx, r.ID, commit, "")
	if err != nil {
		return out, false, err
	}
	out.SHA = commit
	if s.Cards != nil {
		card, ok, err := s.Cards.Card(ctx, r.ID, commit)
		if err != nil {
			return out, false, err
		}
		if ok {
			out.CardData = card.Data
		}
	}
	for _, e := range all {
		sb := Sibling{RFilename: e.Path}
		if metadata {
			size := e.Size
			sb.BlobID = e.BlobID
			if e.LFS != nil {
				size = e.LFS.Size
				sb.LFS = &SiblingLFS{SHA256: e.LFS.OID, Size: e.LFS.Size, PointerSize: e.Size}
			}
			sb.Size = &size
		}
		out.Siblings = append(out.Siblings, sb)
	}
	if security {
		sec, err := s.repoSecurity(ctx, r, all)
		if err != nil {
			return out, false, err
		}
		out.Security = sec
	}
	return out, true, nil
}

// repoSecurity reads the newest verdict of every file: settled ones 100
// per BatchGetItem, the others one by one.
func (s *Service) repoSecurity(ctx context.Context, r repo.Repo, all []Entry) (*RepoSecurity, error) {
	res := make([]scan.Result, len(all))
	ok := make([]bool, len(all))
	errs := make([]error, len(all))
	keys := make([]string, len(all))
	for i, e := range all {
		keys[i] = ScanKey(r, e)
	}
	settled, err := s.Results.SettledResults(ctx, s.Bucket, keys)
	if err != nil {
		return nil, err
	}
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range all {
		if sr, have := settled[keys[i]]; have {
			res[i], ok[i] = sr, true
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			res[i], ok[i], errs[i] = s.Results.LatestResult(ctx, s.Bucket, keys[i])
		}(i)
	}
	wg.Wait()
	out := &RepoSecurity{ScansDone: true, FilesWithIssues: []FileIssue{}}
	for i, e := range all {
		if errs[i] != nil {
			return nil, errs[i]
		}
		switch {
		case !ok[i] || res[i].Status == scan.StatusPending:
			out.ScansDone = false
		case res[i].Status == scan.StatusInfected:
			out.FilesWithIssues = append(out.FilesWithIssues, FileIssue{Path: e.Path, Level: "unsafe", Reason: res[i].Reason})
		case res[i].Status == scan.StatusError:
			out.FilesWithIssues = append(out.FilesWithIssues, FileIssue{Path: e.Path, Level: "error", Reason: res[i].Reason})
		}
	}
	return out, nil
}
