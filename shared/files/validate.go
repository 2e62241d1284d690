package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
)

// RefTip is one ref update of a push, with the commit it now peels to
// (Commit "" when the ref was deleted or points at no commit).
type RefTip struct {
	Ref    string `json:"ref"`
	Old    string `json:"old"`
	New    string `json:"new"`
	Commit string `json:"commit"`
}

// CommitFiles is the tree of one commit.
type CommitFiles struct {
	Commit string  `json:"commit"`
	Files  []Entry `json:"files"`
	Readme *ReadmeFile
}

// Received is what the post-receive hook reports.
type Received struct {
	Pusher    string
	Type      access.RepoType
	Namespace string
	Name      string
	Refs      []RefTip
	Commits   []CommitFiles
}

// Upload asks the hook to copy one blob into the uploads bucket.
type Upload struct {
	SHA256 string            `json:"sha256"`
	Path   string            `json:"path"`
	Size   int64             `json:"size"`
	Key    string            `json:"key"`
	Href   string            `json:"href"`
	Header map[string]string `json:"header"`
}

// Missing reports whether the hook must send commit's files: a commit
// already indexed needs none.
func (s *Service) Missing(ctx context.Context, typ access.RepoType, ns, name string, commits []string) ([]string, error) {
	r, err := s.repo(ctx, typ, ns, name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range commits {
		if !validID(c) {
			return nil, apperr.E(apperr.Invalid, "commit %q is not an object id", c)
		}
		ok, err := s.Store.CommitIndexed(ctx, r.ID, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *Service) repo(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error) {
	r, err := s.Repos.Get(ctx, typ, ns, name)
	if errors.Is(err, store.ErrNotFound) {
		return repo.Repo{}, apperr.E(apperr.NotExist, "Repository %s/%s not found", ns, name)
	}
	if err != nil {
		return repo.Repo{}, fmt.Errorf("read repository %s/%s: %w", ns, name, err)
	}
	return r, nil
}

// Receive indexes the trees of the pushed ref tips, moves the refs, and
// answers presigned uploads for the regular blobs the bucket lacks.
func (s *Service) Receive(ctx context.Context, in Received) ([]Upload, error) {
	if in.Pusher == "" {
		return nil, apperr.E(apperr.Invalid, "pusher is required")
	}
	n := 0
	for i, c := range in.Commits {
		if !validID(c.Commit) {
			return nil, apperr.E(apperr.Invalid, "commits[%d]: %q is not an object id", i, c.Commit)
		}
		for j, e := range c.Files {
			if err := checkEntry(e); err != nil {
				return nil, apperr.E(apperr.Invalid, "commits[%d].files[%d]: %s", i, j, err)
			}
		}
		n += len(c.Files)
	}
	if n > MaxFilesPerPush {
		return nil, apperr.E(apperr.TooLarge, "%d files, limit %d per request", n, MaxFilesPerPush)
	}
	for i, t := range in.Refs {
		if !strings.HasPrefix(t.Ref, "refs/") || (t.Commit != "" && !validID(t.Commit)) {
			return nil, apperr.E(apperr.Invalid, "refs[%d]: bad ref %q or commit %q", i, t.Ref, t.Commit)
		}
	}
	r, err := s.repo(ctx, in.Type, in.Namespace, in.Name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var uploads, want []Upload
	seen := map[string]bool{}
	for _, c := range in.Commits {
		indexed, err := s.Store.CommitIndexed(ctx, r.ID, c.Commit)
		if err != nil {
			return nil, err
		}
		if !indexed {
			// The card first: an indexed commit has its card.
			if c.Readme != nil && s.Cards != nil {
				card, err := s.buildCard(ctx, r.ID, c.Readme)
				if err != nil {
					return nil, err
				}
				if err := s.Cards.PutCard(ctx, r.ID, c.Commit, card); err != nil {
					return nil, fmt.Errorf("store the card of %s: %w", c.Commit, err)
				}
			}
			if err := s.Store.PutCommit(ctx, r.ID, c.Commit, c.Files, now); err != nil {
				return nil, fmt.Errorf("index commit %s: %w", c.Commit, err)
			}
		}
		for _, e := range c.Files {
			if e.LFS != nil {
				continue // uploaded and scanned through the LFS API
			}
			if key := ScanKey(r, e); !seen[key] {
				seen[key] = true
				want = append(want, Upload{SHA256: e.SHA256, Path: e.Path, Size: e.Size, Key: key})
			}
		}
	}
	// Which blobs the bucket lacks: a few HEADs at a time.
	missing := make([]bool, len(want))
	errs := make([]error, len(want))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range want {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, exists, err := s.Objects.Stat(ctx, want[i].Key)
			missing[i], errs[i] = !exists, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("stat blobs: %w", err)
	}
	for i, up := range want {
		if !missing[i] {
			continue
		}
		href, hdr, err := s.Objects.PresignPut(ctx, up.Key, r.ID, up.Size, URLExpiry)
		if err != nil {
			return nil, fmt.Errorf("presign %s: %w", up.Key, err)
		}
		up.Href, up.Header = href, hdr
		uploads = append(uploads, up)
	}
	for _, t := range in.Refs {
		if t.Commit == "" {
			if err := s.Refs.DeleteRef(ctx, r.ID, t.Ref); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.Refs.PutRef(ctx, r.ID, gitref.Ref{Name: t.Ref, Commit: t.Commit, UpdatedAt: now, UpdatedBy: in.Pusher}); err != nil {
			return nil, err
		}
	}
	return uploads, nil
}

func validID(id string) bool {
	if len(id) != 40 && len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkEntry validates one file as git would have stored it.
func checkEntry(e Entry) error {
	if e.Path == "" || len(e.Path) > MaxPathLen || strings.HasPrefix(e.Path, "/") || strings.HasSuffix(e.Path, "/") {
		return errors.New("bad path")
	}
	for _, seg := range strings.Split(e.Path, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("bad path")
		}
	}
	if strings.ContainsAny(e.Path, "\x00\n") {
		return errors.New("bad path")
	}
	switch e.Mode {
	case "100644", "100755", "120000":
	default:
		return fmt.Errorf("mode %q is not a file", e.Mode)
	}
	if !validID(e.BlobID) || e.Size < 0 {
		return errors.New("bad blob id or size")
	}
	if e.LFS != nil {
		if !scan.ValidOID(e.LFS.OID) || e.LFS.Size < 0 {
			return errors.New("bad LFS pointer")
		}
		return nil
	}
	if !scan.ValidOID(e.SHA256) {
		return errors.New("sha256 must be 64 lower-case hex digits")
	}
	if e.Size > MaxPresignedSize {
		return fmt.Errorf("size %d over the %d-byte limit of a regular file", e.Size, int64(MaxPresignedSize))
	}
	return nil
}
