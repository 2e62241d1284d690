// Package fileshttp is the HTTP face of package files, in the uploads
// function: the file list by path (GET .../tree/{revision}[/{path}]) and
// the git server's post-receive report (internal route, see githook).
package fileshttp

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// Page sizes of the tree listing (the Hub's: 1,000 entries, 50 with
// expand); ?limit= asks for fewer.
const (
	DefaultTreeLimit       = 1000
	DefaultTreeLimitExpand = 50
)

// Register adds the routes to mux; hook admits the git server's signed
// calls.
func Register(mux *http.ServeMux, s *files.Service, log *slog.Logger, hook githookhttp.Guard) {
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
	mux.HandleFunc("POST "+githook.IndexPath, hook.Only(h.index, httpapi.NotFound(log)))
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
	limit := DefaultTreeLimit
	if expand {
		limit = DefaultTreeLimitExpand
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			h.fail(w, r, apperr.E(apperr.Invalid, "limit must be a positive number"))
			return
		}
		limit = min(n, limit)
	}
	page, err := h.s.TreePage(r.Context(), files.TreeInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: r.PathValue("name"), Revision: r.PathValue("revision"),
		Path: r.PathValue("path"), Recursive: recursive, Expand: expand, Cursor: r.URL.Query().Get("cursor"), Limit: limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if page.Next != "" {
		// As the Hub pages it, and huggingface_hub's list_repo_tree
		// follows it: the absolute URL of the next page.
		q := r.URL.Query()
		q.Set("cursor", page.Next)
		w.Header().Set("Link", "<"+strings.TrimSuffix(h.s.PublicURL, "/")+r.URL.EscapedPath()+"?"+q.Encode()+`>; rel="next"`)
	}
	httpapi.JSON(w, http.StatusOK, page.Entries)
}

// index indexes one push's manifest (an asynchronous invoke by the git
// server's post-receive hook, or the sweeper delivering it again), then
// deletes it. A manifest already gone was indexed: nothing to do.
func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	var in githook.IndexRequest
	if err := httpapi.Decode(r, &in, 4<<10); err != nil {
		h.fail(w, r, err)
		return
	}
	if !strings.HasPrefix(in.Key, githook.ManifestPrefix) || strings.Contains(in.Key, "..") {
		h.fail(w, r, apperr.E(apperr.Invalid, "key must be under %s", githook.ManifestPrefix))
		return
	}
	if h.s.Manifests == nil {
		h.fail(w, r, apperr.E(apperr.Unavailable, "no manifest store"))
		return
	}
	raw, ok, err := h.s.Manifests.GetManifest(r.Context(), in.Key)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		httpapi.JSON(w, http.StatusOK, githook.IndexResponse{Gone: true})
		return
	}
	var m githook.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Version != githook.ManifestVersion {
		h.fail(w, r, apperr.E(apperr.Invalid, "manifest %s is not a version %d manifest", in.Key, githook.ManifestVersion))
		return
	}
	at, err := time.Parse(time.RFC3339Nano, m.PushedAt)
	if err != nil {
		h.fail(w, r, apperr.E(apperr.Invalid, "manifest pushedAt: %v", err))
		return
	}
	ii := files.IndexInput{Pusher: m.Pusher, Type: access.RepoType(m.Repo.Type), Namespace: m.Repo.Namespace, Name: m.Repo.Name, PushedAt: at.UTC()}
	for _, t := range m.Refs {
		ii.Refs = append(ii.Refs, files.RefTip{Ref: t.Ref, Old: t.Old, New: t.New, Commit: t.Commit, Seq: t.Seq})
	}
	for _, c := range m.Commits {
		ct := files.CommitTree{Commit: c.Commit, Tree: c.Tree, ModelSig: c.ModelSig}
		if rd := c.Readme; rd != nil {
			ct.Readme = &files.ReadmeFile{Head: rd.Head, Size: rd.Size, Complete: rd.Complete, Blame: rd.Blame, Commits: rd.Commits}
		}
		ii.Commits = append(ii.Commits, ct)
	}
	ii.Trees = make([]files.Tree, 0, len(m.Trees))
	for _, t := range m.Trees {
		ft := files.Tree{ID: t.ID, Nodes: make([]files.Node, len(t.Entries))}
		for i, e := range t.Entries {
			n := files.Node{Name: e.Name, Mode: e.Mode, ID: e.ID, Size: e.Size, SHA256: e.SHA256}
			if e.LFS != nil {
				n.LFS = &files.LFSPointer{OID: e.LFS.OID, Size: e.LFS.Size}
			}
			ft.Nodes[i] = n
		}
		ii.Trees = append(ii.Trees, ft)
	}
	res, err := h.s.Index(r.Context(), ii)
	if err != nil {
		h.log.ErrorContext(r.Context(), "index push", "manifest", in.Key, "err", err)
		h.fail(w, r, err)
		return
	}
	if err := h.s.Manifests.DeleteManifest(r.Context(), in.Key); err != nil {
		// Indexed: a later delivery finds it indexed and deletes it.
		h.log.WarnContext(r.Context(), "delete indexed manifest", "manifest", in.Key, "err", err)
	}
	h.log.InfoContext(r.Context(), "indexed push", "manifest", in.Key, "commits", res.Commits, "trees", res.Trees, "indexWrites", res.IndexWrites, "refs", res.Refs, "staleRefs", res.StaleRefs)
	httpapi.JSON(w, http.StatusOK, githook.IndexResponse{Commits: res.Commits, Trees: res.Trees, IndexWrites: res.IndexWrites, Refs: res.Refs, StaleRefs: res.StaleRefs})
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
