// Package lfshttp is the Git LFS batch and verify API and the file tree of
// the uploads function, over lfs.Service.
package lfshttp

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
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
		mux.HandleFunc("POST "+t.git+"/{namespace}/{repo}/info/lfs/complete/{oid}", func(w http.ResponseWriter, r *http.Request) { h.complete(w, r, typ) })
		mux.HandleFunc("POST "+t.api+"/{namespace}/{name}/preupload/{revision...}", func(w http.ResponseWriter, r *http.Request) { h.preupload(w, r, typ) })
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

// decode reads an LFS request body with the one strict decoder. Git LFS
// clients send the LFS media type (huggingface_hub and huggingface.js too);
// plain JSON is accepted as well. Fields we do not read (ref, hash_algo,
// transfers...) are let through: the protocol grows.
func decode(r *http.Request, v any) error {
	return httpapi.DecodeBody(r, v, httpapi.Body{Limit: maxBody, MediaTypes: []string{httpapi.LFSMediaType, httpapi.MediaJSON}, AllowUnknownFields: true})
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
	if out.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(out.RetryAfter.Seconds())))
	}
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

func (h *handler) preupload(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	var body struct {
		Files []lfs.PreuploadFile `json:"files"`
		// huggingface_hub also sends gitAttributes and gitIgnore; they
		// would only add LFS patterns, and are not read yet.
		GitAttributes *string `json:"gitAttributes"`
		GitIgnore     *string `json:"gitIgnore"`
	}
	if err := decode(r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.s.Preupload(r.Context(), lfs.PreuploadInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: r.PathValue("name"), Revision: r.PathValue("revision"), Files: body.Files})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{"files": out})
}

// complete is the multipart completion the Hugging Face clients POST
// without credentials (the upload id in the URL is the capability).
func (h *handler) complete(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	var body struct {
		OID   string             `json:"oid"`
		Parts []lfs.CompletePart `json:"parts"`
	}
	if err := decode(r, &body); err != nil {
		h.failLFS(w, r, err)
		return
	}
	oid := r.PathValue("oid")
	if body.OID != "" && body.OID != oid {
		h.failLFS(w, r, apperr.E(apperr.Invalid, "oid in the body differs from the URL's"))
		return
	}
	err := h.s.Complete(r.Context(), lfs.CompleteInput{Type: typ, Namespace: r.PathValue("namespace"), Name: repoName(r),
		OID: oid, UploadID: r.URL.Query().Get("uploadId"), Parts: body.Parts})
	if err != nil {
		h.failLFS(w, r, err)
		return
	}
	httpapi.LFS(w, http.StatusOK, struct{}{})
}
