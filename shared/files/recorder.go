package files

import (
	"context"
	"fmt"
	"io"

	"github.com/hubsec/trustlayer/shared/repo"
)

// CommitFiles lists every file of an indexed commit, by path.
func (s *Service) CommitFiles(ctx context.Context, r repo.Repo, commit string) ([]Entry, error) {
	return s.files(ctx, r.ID, commit, "")
}

// OpenEntry streams a file's bytes from the uploads bucket: an LFS
// file's object (as its upload's verify recorded it), a regular file's
// content-addressed copy (which the hook writes just after a push, so it
// may not be there yet). n < 0 reads to the end.
func (s *Service) OpenEntry(ctx context.Context, r repo.Repo, e Entry, off, n int64) (io.ReadCloser, error) {
	if e.LFS != nil {
		f, ok, err := s.LFS.File(ctx, r.ID, e.LFS.OID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("the LFS object of %s was never uploaded", e.Path)
		}
		ref := f.Ref(s.Bucket)
		return s.Objects.Range(ctx, ref.Bucket, ref.Key, ref.VersionID, off, n)
	}
	return s.Objects.Range(ctx, s.Bucket, ScanKey(r, e), "", off, n)
}

// CheckEntry validates a file entry a git server reports (path, mode,
// object id, size, SHA-256 or LFS pointer), as the indexer does.
func CheckEntry(e Entry) error { return checkEntry(e) }
