package fileshttp

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// MaxPathsInfoBody bounds a paths-info body.
const MaxPathsInfoBody = 1 << 20

// pathsInfoBody is what a paths-info call asks.
type pathsInfoBody struct {
	Paths  []string `json:"paths"`
	Expand bool     `json:"expand"`
}

// decodePathsInfo reads a paths-info body in either of the shapes the
// clients send: a form (huggingface_hub: paths repeated, expand) or JSON
// (huggingface.js), through the strict JSON decoder. In a form only paths
// may repeat; any other key, or expand twice, is refused.
func decodePathsInfo(r *http.Request) (pathsInfoBody, error) {
	var in pathsInfoBody
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		err := httpapi.DecodeBody(r, &in, httpapi.Body{Limit: MaxPathsInfoBody})
		return in, err
	}
	if r.Body == nil {
		return in, apperr.E(apperr.Invalid, "Request body is empty: expected paths")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPathsInfoBody+1))
	if err != nil {
		return in, apperr.Wrap(apperr.Invalid, err, "Could not read the request body")
	}
	if len(body) > MaxPathsInfoBody {
		return in, apperr.E(apperr.TooLarge, "Request body is larger than %d bytes", MaxPathsInfoBody)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return in, apperr.E(apperr.Invalid, "Malformed form body")
	}
	for k, vs := range form {
		switch k {
		case "paths":
			for _, v := range vs {
				if !utf8.ValidString(v) {
					return in, apperr.E(apperr.Invalid, "paths: not valid UTF-8")
				}
			}
			in.Paths = vs
		case "expand":
			if len(vs) != 1 {
				return in, apperr.E(apperr.Invalid, "Key %q is repeated", k)
			}
			b, err := strconv.ParseBool(vs[0])
			if err != nil {
				return in, apperr.E(apperr.Invalid, "expand must be true or false")
			}
			in.Expand = b
		default:
			return in, apperr.E(apperr.Invalid, "Unknown key %q", k)
		}
	}
	return in, nil
}

func (h *handler) pathsInfo(w http.ResponseWriter, r *http.Request, typ access.RepoType) {
	in, err := decodePathsInfo(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.s.PathsInfo(r.Context(), files.PathsInfoInput{Caller: principal.From(r.Context()), Type: typ,
		Namespace: r.PathValue("namespace"), Name: r.PathValue("name"), Revision: r.PathValue("revision"),
		Paths: in.Paths, Expand: in.Expand})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, out)
}
