// Package fileshttp is the HTTP face of package files, in the uploads
// function: the file list by path (GET .../tree/{revision}[/{path}]) and
// the git server's post-receive report (internal route, see githook).
package fileshttp

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// MaxBody bounds a post-receive report: Lambda's synchronous payload.
const MaxBody = 6 << 20

// Register adds the routes to mux.
func Register(mux *http.ServeMux, s *files.Service, log *slog.Logger) {
	h := &handler{s: s, log: log}
	for _, t := range []struct {
		api string
		typ access.RepoType
	}{{"/api/models", access.RepoModel}, {"/api/datasets", access.RepoDataset}, {"/api/spaces", access.RepoSpace}} {
		typ := t.typ
		mux.HandleFunc("GET "+t.api+"/{namespace}/{name}/tree/{revision}", func(w http.ResponseWriter, r *http.Request) { h.tree(w, r, typ) })
		mux.HandleFunc("GET "+t.api+"/{namespace}/{name}/tree/{revision}/{path...}", func(w http.ResponseWriter, r *http.Request) { h.tree(w, r, typ) })
		mux.HandleFunc("POST "+t.api+"/{namespace}/{name}/paths-info/{revision}", func(w http.ResponseWriter, r *http.Request) { h.pathsInfo(w, r, typ) })
		mux.HandleFunc("POST "+t.api+"/{namespace}/{name}/commit/{revision}", func(w http.ResponseWriter, r *http.Request) { h.commit(w, r, typ) })
	}
	mux.HandleFunc("GET /api/models/{namespace}/{name}/eval-results/{revision}", h.evalResults)
	// Downloads: /[datasets/|spaces/]{ns}/{name}/resolve|raw/{rev}/{path...}.
	// A pattern with a wildcard first segment would conflict with the
	// /api/ patterns in ServeMux, so one catch-all GET (and HEAD) parses
	// them as the authorizer's route table does (literal prefixes first).
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { h.download(w, r) })
	mux.HandleFunc("POST "+githook.PostReceivePath, githookhttp.Only(h.postReceive, httpapi.NotFound(log)))
}

type handler struct {
	s   *files.Service
	log *slog.Logger
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, h.log, err)
}

// flag reads a boolean query parameter: absent, "true"/"false", "1"/"0".
func flag(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apperr.E(apperr.Invalid, "%s must be true or false", name)
	}
	return b, nil
}

func (h *handler) tree(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	recursive, err := flag(r, "recursive")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	expand, err := flag(r, "expand")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.s.Tree(r.Context(), files.TreeInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: r.PathValue("name"), Revision: r.PathValue("revision"),
		Path: r.PathValue("path"), Recursive: recursive, Expand: expand})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, out)
}

func (h *handler) postReceive(w http.ResponseWriter, r *http.Request) {
	var in githook.PostReceiveRequest
	if err := httpapi.Decode(r, &in, MaxBody); err != nil {
		h.fail(w, r, err)
		return
	}
	typ := access.RepoType(in.Repo.Type)
	if typ != access.RepoModel && typ != access.RepoDataset && typ != access.RepoSpace {
		h.fail(w, r, apperr.E(apperr.Invalid, "repo.type %q, want model, dataset or space", in.Repo.Type))
		return
	}
	rec := files.Received{Pusher: in.Pusher, Type: typ, Namespace: in.Repo.Namespace, Name: in.Repo.Name}
	for _, t := range in.Refs {
		rec.Refs = append(rec.Refs, files.RefTip{Ref: t.Ref, Old: t.Old, New: t.New, Commit: t.Commit})
	}
	for _, c := range in.Commits {
		cf := files.CommitFiles{Commit: c.Commit, Files: make([]files.Entry, 0, len(c.Files))}
		if rd := c.Readme; rd != nil {
			cf.Readme = &files.ReadmeFile{Head: rd.Head, Size: rd.Size, Complete: rd.Complete, Blame: rd.Blame, Commits: rd.Commits}
		}
		for _, f := range c.Files {
			e := files.Entry{Path: f.Path, Mode: f.Mode, Size: f.Size, BlobID: f.BlobID, SHA256: f.SHA256}
			if f.LFS != nil {
				e.LFS = &files.LFSPointer{OID: f.LFS.OID, Size: f.LFS.Size}
			}
			cf.Files = append(cf.Files, e)
		}
		rec.Commits = append(rec.Commits, cf)
	}
	ups, err := h.s.Receive(r.Context(), rec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := githook.PostReceiveResponse{Uploads: []githook.Upload{}}
	for _, u := range ups {
		out.Uploads = append(out.Uploads, githook.Upload{SHA256: u.SHA256, Path: u.Path, Size: u.Size, Key: u.Key, Href: u.Href, Header: u.Header})
	}
	httpapi.JSON(w, http.StatusOK, out)
}

// evalResults answers the model-index metrics of README.md at a revision,
// each with the commit that last changed its lines and its verification.
func (h *handler) evalResults(w http.ResponseWriter, r *http.Request) {
	out, err := h.s.EvalResults(r.Context(), principal.From(r.Context()), r.PathValue("namespace"), r.PathValue("name"), r.PathValue("revision"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if out == nil {
		out = []files.EvalResult{}
	}
	httpapi.JSON(w, http.StatusOK, out)
}
