package repohttp

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
)

// list answers GET /api/models?author=&search=&limit= (and datasets,
// spaces): the repositories of the author the caller may read, a page at a
// time, with the next page in a Link header as the Hub sends it. Query
// parameters the clients add for features this hub has not (expand,
// filter, sort, full) are ignored: they only shape the answer.
func (a *api) list(typ access.RepoType, seg string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		in := repo.ListInput{Type: typ, Author: q.Get("author"), Search: q.Get("search"), After: q.Get("cursor")}
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				a.fail(w, r, apperr.E(apperr.Invalid, "limit must be a positive integer"))
				return
			}
			in.Limit = min(n, repo.MaxListLimit)
		}
		page, err := a.svc.List(r.Context(), principal.From(r.Context()), in)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out := make([]infoJSON, 0, len(page.Repos))
		for _, rp := range page.Repos {
			out = append(out, info(rp))
		}
		if page.Next != "" {
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Set("cursor", page.Next)
			w.Header().Set("Link", "<"+a.publicURL+"/api/"+seg+"?"+next.Encode()+`>; rel="next"`)
		}
		httpapi.JSON(w, http.StatusOK, out)
	}
}

// authCheck answers GET .../auth-check: 200 when the caller may read the
// repository, the repository-not-found answer (401 or 404) otherwise.
func (a *api) authCheck(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.svc.Info(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name")); err != nil {
			a.fail(w, r, err)
			return
		}
		httpapi.JSON(w, http.StatusOK, struct{}{})
	}
}
