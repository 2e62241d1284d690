package lfs

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/apperr"
	"github.com/hubsec/trustlayer/internal/httpapi"
	"github.com/hubsec/trustlayer/internal/principal"
)

// MediaType is the Git LFS JSON media type.
const MediaType = "application/vnd.git-lfs+json"

// maxBody bounds batch and verify bodies (1000 objects fit easily).
const maxBody = 256 << 10

// Handler returns the uploads function's routes.
func Handler(s *Service, log *slog.Logger) http.Handler {
	h := &handler{s: s, log: log}
	mux := http.NewServeMux()
	for _, t := range []struct {
		git, api string
		typ      access.RepoType
	}{{"", "/api/models", access.RepoModel}, {"/datasets", "/api/datasets", access.RepoDataset}, {"/spaces", "/api/spaces", access.RepoSpace}} {
		typ := t.typ
		mux.HandleFunc("POST "+t.git+"/{namespace}/{repo}/info/lfs/objects/batch", func(w http.ResponseWriter, r *http.Request) { h.batch(w, r, typ) })
		mux.HandleFunc("POST "+t.git+"/{namespace}/{repo}/info/lfs/verify", func(w http.ResponseWriter, r *http.Request) { h.verify(w, r, typ) })
		mux.HandleFunc("GET "+t.api+"/{namespace}/{name}/tree/{revision...}", func(w http.ResponseWriter, r *http.Request) { h.tree(w, r, typ) })
	}
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, h.fail)
}

type handler struct {
	s   *Service
	log *slog.Logger
}

// repoName strips the optional .git suffix git-lfs adds.
func repoName(r *http.Request) string { return strings.TrimSuffix(r.PathValue("repo"), ".git") }

// lfsError is the batch API's error body.
type lfsError struct {
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// failLFS answers an LFS endpoint's error in the LFS shape (message),
// logging internal errors once.
func (h *handler) failLFS(w http.ResponseWriter, r *http.Request, err error) {
	kind := apperr.KindOf(err)
	status := kind.Status()
	if kind == apperr.Invalid {
		status = http.StatusUnprocessableEntity
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", httpapi.RetryAfter)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("LFS-Authenticate", `Basic realm="trustlayer"`)
		w.Header().Set("WWW-Authenticate", `Basic realm="trustlayer"`)
	}
	writeLFS(w, status, lfsError{Message: apperr.Public(err), RequestID: httpapi.RequestIDOf(r)})
}

// fail answers errors from the middleware and the tree endpoint.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if strings.Contains(r.URL.Path, "/info/lfs/") {
		h.failLFS(w, r, err)
		return
	}
	httpapi.Error(w, r, h.log, err)
}

func writeLFS(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads an LFS request body with the one strict decoder. Git LFS
// clients send the LFS media type (huggingface_hub and huggingface.js too);
// plain JSON is accepted as well. Fields we do not read (ref, hash_algo,
// transfers...) are let through: the protocol grows.
func decode(r *http.Request, v any) error {
	return httpapi.DecodeBody(r, v, httpapi.Body{Limit: maxBody, MediaTypes: []string{MediaType, httpapi.MediaJSON}, AllowUnknownFields: true})
}

func (h *handler) batch(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	var req BatchRequest
	if err := decode(r, &req); err != nil {
		h.failLFS(w, r, err)
		return
	}
	out, err := h.s.Batch(r.Context(), BatchInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: repoName(r), Request: req})
	if err != nil {
		h.failLFS(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeLFS(w, http.StatusOK, out)
}

func (h *handler) verify(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	var obj ObjectRequest
	if err := decode(r, &obj); err != nil {
		h.failLFS(w, r, err)
		return
	}
	err := h.s.Verify(r.Context(), VerifyInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: repoName(r), Object: obj})
	if err != nil {
		h.failLFS(w, r, err)
		return
	}
	writeLFS(w, http.StatusOK, struct{}{})
}

func (h *handler) tree(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	out, err := h.s.Tree(r.Context(), TreeInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: r.PathValue("name"), Revision: r.PathValue("revision")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, out)
}
