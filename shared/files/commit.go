package files

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
)

// Limits of the commit API.
const (
	MaxCommitOps     = 10000
	MaxSummaryLen    = 1000
	MaxDescriptionLn = 64 << 10
)

// CommitInput is a commit API call: the operations of one commit onto a
// branch, as huggingface_hub and huggingface.js send them (NDJSON).
type CommitInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Branch    string
	// Authorization is the caller's Authorization header: the commit is
	// pushed through the gateway with it, so the authorizer decides
	// repo.write again and the hooks see the caller as the pusher.
	Authorization string

	Summary, Description string
	ParentCommit         string // "" when not stated
	Files                []CommitFile
	LFSFiles             []CommitLFSFile
	Deleted              []string
	DeletedFolders       []string
}

// CommitFile is a regular file's new content.
type CommitFile struct {
	Path    string
	Content []byte
}

// CommitLFSFile is an LFS file uploaded before the commit.
type CommitLFSFile struct {
	Path string
	OID  string
	Size int64
}

// GitCommit is the commit to make: what the Git port needs.
type GitCommit struct {
	Repo          repo.Repo
	Branch        string
	Parent        string // the stated parent; "" to commit on whatever the tip is
	Authorization string
	AuthorName    string
	AuthorEmail   string
	Message       string
	Files         []CommitFile // regular files and LFS pointers
	Deleted       []string
	DeletedFolder []string
}

// ErrStaleParent is what the Git port answers when the branch tip is not
// the stated parent (or moved during the commit).
var ErrStaleParent = errors.New("stale parent commit")

// Git makes commits in the git server (filesgit.Committer).
type Git interface {
	Commit(ctx context.Context, c GitCommit) (string, error)
}

// Verifier checks that an LFS object was uploaded for the repository and
// that its bytes hash to its oid, and records it (*lfs.Service).
type Verifier interface {
	Verify(ctx context.Context, in lfs.VerifyInput) error
}

// CommitResult is the commit API's answer.
type CommitResult struct {
	CommitURL string `json:"commitUrl"`
	CommitOID string `json:"commitOid"`
}

// Commit makes one git commit on a branch from the operations, through
// the git server, so every push check (signed commits, secret protection,
// the file index, scanning) applies as to a git push. It is signed with
// the service's key by the Git port.
func (s *Service) Commit(ctx context.Context, in CommitInput) (CommitResult, error) {
	if s.Git == nil || s.Verifier == nil {
		return CommitResult{}, apperr.E(apperr.Unavailable, "Commits through the API are not configured on this server")
	}
	if err := gitref.CheckBranch(in.Branch); err != nil {
		// Invariants 2 and 6: the same rule as the git server's hook.
		return CommitResult{}, apperr.E(apperr.Invalid, "Commits go to a branch: %s", err.Error())
	}
	if !validBranch(in.Branch) {
		return CommitResult{}, apperr.E(apperr.Invalid, "Commits go to a branch: %q is not a branch name", in.Branch)
	}
	n := len(in.Files) + len(in.LFSFiles) + len(in.Deleted) + len(in.DeletedFolders)
	if n == 0 {
		return CommitResult{}, apperr.E(apperr.Invalid, "The commit has no operations")
	}
	if n > MaxCommitOps {
		return CommitResult{}, apperr.E(apperr.TooLarge, "At most %d operations per commit", MaxCommitOps)
	}
	summary := strings.TrimSpace(in.Summary)
	if summary == "" {
		summary = "Upload files"
	}
	if len(summary) > MaxSummaryLen || len(in.Description) > MaxDescriptionLn {
		return CommitResult{}, apperr.E(apperr.TooLarge, "The commit summary or description is too long")
	}
	if in.ParentCommit != "" && !gitref.ValidID(in.ParentCommit) {
		return CommitResult{}, apperr.E(apperr.Invalid, "parentCommit must be a full commit id")
	}
	seen := map[string]bool{}
	check := func(p string) error {
		if err := CheckPath(p); err != nil {
			// Invariant 5: git's own path rules, before git can drop it.
			return apperr.E(apperr.Invalid, "Invalid path %q: %s", p, err.Error())
		}
		if seen[p] {
			return apperr.E(apperr.Invalid, "Path %q appears twice in the commit", p)
		}
		seen[p] = true
		return nil
	}
	gc := GitCommit{Branch: in.Branch, Parent: in.ParentCommit, Authorization: in.Authorization,
		AuthorName: in.Caller.Username, AuthorEmail: in.Caller.Username + "@users.noreply.trustlayer"}
	for _, f := range in.Files {
		if err := check(f.Path); err != nil {
			return CommitResult{}, err
		}
		if baseName(f.Path) == ".gitmodules" {
			if err := CheckGitmodules(f.Content); err != nil {
				return CommitResult{}, apperr.E(apperr.Invalid, "%s: %s", f.Path, err.Error())
			}
		}
		gc.Files = append(gc.Files, f)
	}
	for _, f := range in.LFSFiles {
		if err := check(f.Path); err != nil {
			return CommitResult{}, err
		}
		if baseName(f.Path) == ".gitmodules" {
			return CommitResult{}, apperr.E(apperr.Invalid, "%s: .gitmodules must be a regular file, not an LFS file", f.Path)
		}
	}
	for _, p := range in.Deleted {
		if err := check(p); err != nil {
			return CommitResult{}, err
		}
		gc.Deleted = append(gc.Deleted, p)
	}
	for _, p := range in.DeletedFolders {
		p = strings.TrimSuffix(p, "/")
		if err := check(p); err != nil {
			return CommitResult{}, err
		}
		gc.DeletedFolder = append(gc.DeletedFolder, p)
	}
	r, err := s.authorizeAction(ctx, in.Caller, access.RepoWrite, in.Type, in.Namespace, in.Name)
	if err != nil {
		return CommitResult{}, err
	}
	gc.Repo = r
	// Every LFS object must be this repository's and hash to its oid.
	for _, f := range in.LFSFiles {
		err := s.Verifier.Verify(ctx, lfs.VerifyInput{Caller: in.Caller, Type: in.Type, Namespace: in.Namespace, Name: in.Name,
			Object: lfs.ObjectRequest{OID: f.OID, Size: f.Size}})
		if err != nil {
			return CommitResult{}, err
		}
		gc.Files = append(gc.Files, CommitFile{Path: f.Path, Content: Pointer(LFSPointer{OID: f.OID, Size: f.Size})})
	}
	gc.Message = summary
	if d := strings.TrimSpace(in.Description); d != "" {
		gc.Message += "\n\n" + d
	}
	gc.Message += "\n"
	oid, err := s.Git.Commit(ctx, gc)
	if errors.Is(err, ErrStaleParent) {
		return CommitResult{}, apperr.E(apperr.Precondition, "parentCommit %s is not the tip of %s any more: fetch it and commit again", in.ParentCommit, in.Branch)
	}
	if err != nil {
		return CommitResult{}, err
	}
	s.awaitIndexed(ctx, r, "refs/heads/"+in.Branch, oid)
	return CommitResult{CommitURL: s.PublicURL + repoPath(r) + "/commit/" + oid, CommitOID: oid}, nil
}

// IndexWait bounds how long a commit through the API waits for the file
// index (asynchronous after the push) to reach its commit, so that the
// caller can read what it committed at once, as the Hub's clients do.
const IndexWait = 30 * time.Second

// awaitIndexed waits until ref points at commit in the index, or
// IndexWait passed (the commit stands either way; it is then only listed
// a little later).
func (s *Service) awaitIndexed(ctx context.Context, r repo.Repo, ref, commit string) {
	deadline := time.Now().Add(IndexWait)
	for {
		got, ok, err := s.Refs.Ref(ctx, r.ID, ref)
		if err == nil && ok && got.Commit == commit {
			return
		}
		if time.Now().After(deadline) {
			if s.Log != nil {
				s.Log.WarnContext(ctx, "commit not indexed yet", "repo", r.FullName(), "commit", commit)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// repoPath is the repository's page path: /ns/name, /datasets/ns/name...
func repoPath(r repo.Repo) string {
	switch r.Type {
	case access.RepoDataset:
		return "/datasets/" + r.Namespace + "/" + r.Name
	case access.RepoSpace:
		return "/spaces/" + r.Namespace + "/" + r.Name
	}
	return "/" + r.Namespace + "/" + r.Name
}

// ValidPath reports whether p may name a file in a commit (CheckPath).
func ValidPath(p string) bool { return CheckPath(p) == nil }

// validBranch accepts the branch names git's check-ref-format accepts,
// kept to a safe alphabet, and refuses commit ids.
func validBranch(b string) bool {
	if b == "" || len(b) > 255 || gitref.ValidID(b) || strings.HasPrefix(b, "-") || strings.HasPrefix(b, "/") ||
		strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") || strings.HasSuffix(b, ".") || strings.Contains(b, "..") ||
		strings.Contains(b, "//") || strings.Contains(b, "@{") {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}
