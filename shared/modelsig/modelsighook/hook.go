// Package modelsighook serves the git server's pre-receive hook the
// model signature of a commit it is about to accept (requireSignedModels).
package modelsighook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigfiles"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsighttp"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
)

// RepoGetter reads a repository with its organization's policy
// (*repo.Service).
type RepoGetter interface {
	Get(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error)
}

// Hook serves githook.ModelSigPath for the git server's pre-receive hook
// (requireSignedModels): it verifies the commit's model.sig against the
// tree the hook lists, records it (the first record of a commit stays, so
// the indexer finds it done), and answers the status judged now.
type Hook struct {
	Sigs  *modelsig.Service // with its Sigstore verifier
	Repos RepoGetter
	Files *files.Service // streams bytes for hashes other than the hook's
}

// MaxHookBody bounds a request: a model.sig of 1 MiB (base64) and the
// listing of a commit's files.
const MaxHookBody = 5 << 20

// RegisterHook adds the route, answering 404 to anyone but the git server
// and 403 to its calls that hook does not admit (unsigned, wrong key).
func RegisterHook(mux *http.ServeMux, h *Hook, log *slog.Logger, hook githookhttp.Guard) {
	mux.HandleFunc("POST "+githook.ModelSigPath, hook.Only(func(w http.ResponseWriter, r *http.Request) {
		out, err := h.Check(r.Context(), r)
		if err != nil {
			httpapi.Error(w, r, log, err)
			return
		}
		httpapi.JSON(w, http.StatusOK, out)
	}, httpapi.NotFound(log)))
}

// errNeedBlobs: a regular file's bytes are not in the bucket yet.
var errNeedBlobs = errors.New("a regular file's bytes are not in the uploads bucket yet")

// Check decides one request.
func (h *Hook) Check(ctx context.Context, r *http.Request) (githook.ModelSigResponse, error) {
	var in githook.ModelSigRequest
	if err := httpapi.Decode(r, &in, MaxHookBody); err != nil {
		return githook.ModelSigResponse{}, err
	}
	typ := access.RepoType(in.Repo.Type)
	if typ != access.RepoModel && typ != access.RepoDataset && typ != access.RepoSpace {
		return githook.ModelSigResponse{}, apperr.E(apperr.Invalid, "repo.type %q, want model, dataset or space", in.Repo.Type)
	}
	if len(in.ModelSig) > githook.MaxModelSig {
		return githook.ModelSigResponse{}, apperr.E(apperr.TooLarge, "modelSig over %d bytes", githook.MaxModelSig)
	}
	if len(in.Files) > files.MaxFilesPerPush {
		return githook.ModelSigResponse{}, apperr.E(apperr.TooLarge, "%d files, limit %d", len(in.Files), files.MaxFilesPerPush)
	}
	if !gitref.ValidID(in.Commit) {
		return githook.ModelSigResponse{}, apperr.E(apperr.Invalid, "commit %q is not an object id", in.Commit)
	}
	es := make([]files.Entry, 0, len(in.Files))
	seen := map[string]bool{}
	for i, f := range in.Files {
		e := files.Entry{Path: f.Path, Mode: f.Mode, Size: f.Size, BlobID: f.ID, SHA256: f.SHA256}
		if f.LFS != nil {
			e.LFS = &files.LFSPointer{OID: f.LFS.OID, Size: f.LFS.Size}
		}
		if err := files.CheckEntry(e); err != nil {
			return githook.ModelSigResponse{}, apperr.E(apperr.Invalid, "files[%d]: %s", i, err)
		}
		if seen[e.Path] {
			return githook.ModelSigResponse{}, apperr.E(apperr.Invalid, "files[%d]: %q listed twice", i, e.Path)
		}
		seen[e.Path] = true
		es = append(es, e)
	}
	rp, err := h.Repos.Get(ctx, typ, in.Repo.Namespace, in.Repo.Name)
	if errors.Is(err, store.ErrNotFound) {
		return githook.ModelSigResponse{}, apperr.E(apperr.NotExist, "Repository %s/%s not found", in.Repo.Namespace, in.Repo.Name)
	}
	if err != nil {
		return githook.ModelSigResponse{}, fmt.Errorf("read repository: %w", err)
	}
	byPath := make(map[string]files.Entry, len(es))
	for _, e := range es {
		byPath[e.Path] = e
	}
	var need atomic.Bool
	open := opener(func(ctx context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error) {
		e := byPath[f.Path]
		rc, err := h.Files.OpenEntry(ctx, rp, e, off, n)
		if err != nil && e.LFS == nil {
			need.Store(true)
			return nil, errNeedBlobs
		}
		return rc, err
	})
	rec, err := h.Sigs.RecordCommit(ctx, rp.ID, in.Commit, modelsigfiles.Tree(es), in.ModelSig, open)
	if err != nil {
		if need.Load() {
			return githook.ModelSigResponse{NeedBlobs: true}, nil
		}
		return githook.ModelSigResponse{}, err
	}
	j, err := h.Sigs.JudgeRecord(ctx, rec, modelsighttp.OwnerOf(rp))
	if err != nil {
		return githook.ModelSigResponse{}, err
	}
	out := githook.ModelSigResponse{Status: j.Status, Reason: j.Reason}
	if j.Method != nil {
		out.Method = *j.Method
	}
	if j.Signer != nil {
		out.Signer = j.Signer.Who()
	}
	return out, nil
}

type opener func(ctx context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error)

func (o opener) Open(ctx context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error) {
	return o(ctx, f, off, n)
}
