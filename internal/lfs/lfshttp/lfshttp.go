// Package lfshttp is the Git LFS batch and verify API and the file tree of
// the uploads function, over lfs.Service.
package lfshttp

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/lfs"
	"github.com/hubsec/trustlayer/internal/platform/apperr"
	"github.com/hubsec/trustlayer/internal/platform/httpapi"
	"github.com/hubsec/trustlayer/internal/principal"
)

// maxBody bounds batch and verify bodies (1000 objects fit easily).
const maxBody = 256 << 10

// Handler returns the uploads function's LFS routes, and those extra
// registers (the file list, package fileshttp).
func Handler(s *lfs.Service, log *slog.Logger, extra ...func(*http.ServeMux)) http.Handler {
	h := &handler{s: s, log: log}
	mux := http.NewServeMux()
	for _, t := range []struct {
		git, api string
		typ      access.RepoType
	}{{"", "/api/models", access.RepoModel}, {"/datasets", "/api/datasets", access.RepoDataset}, {"/spaces", "/api/spaces", access.RepoSpace}} {
		typ := t.typ
		mux.HandleFunc("POST "+t.git+"/{namespace}/{repo}/info/lfs/objects/batch", func(w http.ResponseWriter, r *http.Request) { h.batch(w, r, typ) })
		mux.HandleFunc("POST "+t.git+"/{namespace}/{repo}/info/lfs/verify", func(w http.ResponseWriter, r *http.Request) { h.verify(w, r, typ) })
	}
	for _, register := range extra {
		register(mux)
	}
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, h.fail)
}

type handler struct {
	s   *lfs.Service
	log *slog.Logger
}

// repoName strips the optional .git suffix git-lfs adds.
func repoName(r *http.Request) string { return strings.TrimSuffix(r.PathValue("repo"), ".git") }

// failLFS answers an LFS endpoint's error in the LFS shape.
func (h *handler) failLFS(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.ErrorAs(w, r, h.log, err, httpapi.LFSBody)
}

// fail answers errors from the middleware and the tree endpoint.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if strings.Contains(r.URL.Path, "/info/lfs/") {
		h.failLFS(w, r, err)
		return
	}
	httpapi.Error(w, r, h.log, err)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.E(apperr.TooLarge, "request body over %d bytes", maxBody)
		}
		return apperr.E(apperr.Invalid, "request body is not valid JSON for this endpoint")
	}
	return nil
}

func (h *handler) batch(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	var req lfs.BatchRequest
	if err := decode(r, &req); err != nil {
		h.failLFS(w, r, err)
		return
	}
	out, err := h.s.Batch(r.Context(), lfs.BatchInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: repoName(r), Request: req, Authorization: r.Header.Get("Authorization")})
	if err != nil {
		h.failLFS(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.LFS(w, http.StatusOK, out)
}

func (h *handler) verify(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	var obj lfs.ObjectRequest
	if err := decode(r, &obj); err != nil {
		h.failLFS(w, r, err)
		return
	}
	err := h.s.Verify(r.Context(), lfs.VerifyInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: repoName(r), Object: obj})
	if err != nil {
		h.failLFS(w, r, err)
		return
	}
	httpapi.LFS(w, http.StatusOK, struct{}{})
}
