package fileshttp

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/platform/repocontent"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/scan"
)

// download routes a GET or HEAD that no other pattern took: a resolve or
// raw path, else 404.
func (h *handler) download(w http.ResponseWriter, r *http.Request) {
	typ, ns, name, op, rev, p, ok := parseDownload(r.URL.EscapedPath())
	if !ok {
		httpapi.NotFound(h.log).ServeHTTP(w, r)
		return
	}
	r.SetPathValue("namespace", ns)
	r.SetPathValue("name", name)
	r.SetPathValue("revision", rev)
	r.SetPathValue("path", p)
	h.resolve(w, r, typ, op == "raw")
}

// parseDownload splits an escaped download path into its parts, each
// unescaped (a revision may hold an escaped '/').
func parseDownload(escaped string) (typ access.RepoType, ns, name, op, rev, p string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	typ = access.RepoModel
	switch segs[0] {
	case "datasets":
		typ, segs = access.RepoDataset, segs[1:]
	case "spaces":
		typ, segs = access.RepoSpace, segs[1:]
	}
	if len(segs) < 5 || (segs[2] != "resolve" && segs[2] != "raw") {
		return "", "", "", "", "", "", false
	}
	parts := make([]string, len(segs))
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return "", "", "", "", "", "", false
		}
		parts[i] = u
	}
	return typ, parts[0], parts[1], parts[2], parts[3], strings.Join(parts[4:], "/"), true
}

// resolve answers HEAD and GET /{ns}/{name}/resolve|raw/{rev}/{path} as
// the Hub does: X-Repo-Commit, ETag (the git blob id, or an LFS file's
// SHA-256, also in X-Linked-Etag) and the size in X-Linked-Size (the
// gateway sets Content-Length from the body it forwards, which a HEAD
// does not have); small regular files in the body (ranges work), LFS and
// large files by a 302 to a presigned URL of the uploads bucket. Only
// judged-safe bytes: a pending file answers 409 with Retry-After after
// the wait, an infected or unscannable one 403 with the reason.
func (h *handler) resolve(w http.ResponseWriter, r *http.Request, typ access.RepoType, raw bool) {
	d, err := h.s.Resolve(r.Context(), files.ResolveInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: r.PathValue("name"), Revision: r.PathValue("revision"),
		Path: r.PathValue("path"), Raw: raw})
	if err != nil {
		if apperr.KindOf(err) == apperr.Exist {
			w.Header().Set("Retry-After", strconv.Itoa(int(scan.RetryAfter.Seconds())))
		}
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("X-Repo-Commit", d.Commit)
	hd.Set("ETag", `"`+d.ETag+`"`)
	hd.Set("X-Linked-Size", strconv.FormatInt(d.Size, 10))
	if d.LFS && d.Pointer == nil {
		hd.Set("X-Linked-Etag", `"`+d.ETag+`"`)
	}
	hd.Set("Accept-Ranges", "bytes")
	// Repository bytes never run on the hub's origin (invariant 1): the
	// one rule, on the answer and on the redirect to the bucket alike.
	repocontent.Set(hd, d.Path)
	if !d.Inline() {
		u, err := h.s.URL(r.Context(), d)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		hd.Set("Location", u)
		w.WriteHeader(http.StatusFound)
		return
	}
	if r.Method == http.MethodHead {
		hd.Set("Content-Length", strconv.FormatInt(d.Size, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	body := d.Pointer
	if body == nil {
		rc, err := h.s.Open(r.Context(), d, 0, -1)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		body, err = io.ReadAll(io.LimitReader(rc, files.InlineMax+1))
		rc.Close()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if int64(len(body)) != d.Size {
			h.fail(w, r, apperr.Wrap(apperr.Unavailable, nil, "The file's bytes are not all readable yet"))
			return
		}
	}
	// ServeContent answers Range and If-None-Match (against the ETag set).
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
