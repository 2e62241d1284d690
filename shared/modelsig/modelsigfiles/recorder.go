// Package modelsigfiles connects the file index to the model-signature
// check: each commit a push indexes is verified against its model.sig.
package modelsigfiles

import (
	"context"
	"io"

	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsighttp"
	"github.com/hubsec/trustlayer/shared/repo"
)

// Recorder verifies and records the model signature of indexed commits.
type Recorder struct {
	Sigs *modelsig.Service
}

// AfterIndex is the indexer's per-commit work (files.Service.AfterIndex):
// the commit's files are listed by then. It is safe to run twice (the
// first record of a commit stays).
func (rc Recorder) AfterIndex(ctx context.Context, s *files.Service, c files.IndexedCommit) error {
	es, err := s.CommitFiles(ctx, c.Repo, c.Commit)
	if err != nil {
		return err
	}
	return rc.CommitIndexed(ctx, s, c.Repo, c.Commit, es, c.ModelSig)
}

// Tree converts the index's entries: an LFS file's size is its object's.
func Tree(es []files.Entry) []modelsig.File {
	out := make([]modelsig.File, 0, len(es))
	for _, e := range es {
		f := modelsig.File{Path: e.Path, Mode: e.Mode, Size: e.Size, SHA256: e.SHA256}
		if e.LFS != nil {
			f.LFS, f.Size, f.SHA256 = &modelsig.LFSObject{OID: e.LFS.OID, Size: e.LFS.Size}, e.LFS.Size, ""
		}
		out = append(out, f)
	}
	return out
}

// CommitIndexed verifies and records one commit.
func (rc Recorder) CommitIndexed(ctx context.Context, fs *files.Service, r repo.Repo, commit string, es []files.Entry, sig []byte) error {
	byPath := map[string]files.Entry{}
	for _, e := range es {
		byPath[e.Path] = e
	}
	open := opener(func(ctx context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error) {
		return fs.OpenEntry(ctx, r, byPath[f.Path], off, n)
	})
	_, err := rc.Sigs.RecordCommit(ctx, r.ID, commit, Tree(es), sig, open)
	return err
}

type opener func(ctx context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error)

func (o opener) Open(ctx context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error) {
	return o(ctx, f, off, n)
}

// Readme says whether a commit's README.md is covered by a verified model
// signature (files.ModelSignatures, for eval-results' signedModel), with
// trust judged now against the repository owner's signers.
type Readme struct {
	Sigs *modelsig.Service
}

var _ files.ModelSignatures = Readme{}

// ReadmeSigned implements files.ModelSignatures.
func (m Readme) ReadmeSigned(ctx context.Context, r repo.Repo, commit string) (bool, error) {
	j, ok, err := m.Sigs.Status(ctx, r.ID, modelsighttp.OwnerOf(r), commit)
	if err != nil || !ok {
		return false, err
	}
	return j.Covers("README.md"), nil
}
