// Package httpapi holds what every HTTP function shares at its edge: JSON
// responses, the one mapping from apperr kinds to statuses, strict JSON
// decoding, request ids, panic recovery and access logs.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/logging"
)

// JSON writes v as a JSON response with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Status is the one map from an error kind to an HTTP status.
func Status(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Permission:
		return http.StatusForbidden
	case apperr.NotExist:
		return http.StatusNotFound
	case apperr.Exist:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.MediaType:
		return http.StatusUnsupportedMediaType
	case apperr.Precondition:
		return http.StatusPreconditionFailed
	default:
		return http.StatusInternalServerError
	}
}

// RetryAfter is the Retry-After (seconds) of every 503: a dependency is
// down, and the client should come back rather than give up.
const RetryAfter = "1"

// ErrorBody is the shape of every error response, as Hugging Face clients
// read it (`json.error`).
type ErrorBody struct {
	Error string `json:"error"`
}

// Error writes err as `{"error": "..."}` with the status of its kind. It is
// the one place errors are logged: 5xx with their internal cause at error
// level, client errors at debug level. Internal text never reaches the body.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ErrorAs(w, r, log, err, HubBody)
}

// BodyShape picks the shape of an error response.
type BodyShape int

// The error body shapes.
const (
	// HubBody is `{"error": "..."}`, as Hugging Face clients read it.
	HubBody BodyShape = iota
	// LFSBody is the Git LFS API's `{"message", "request_id"}` in
	// application/vnd.git-lfs+json; invalid requests answer 422 and a 401
	// carries LFS-Authenticate, as git-lfs expects.
	LFSBody
)

// LFSMediaType is the Git LFS JSON media type.
const LFSMediaType = "application/vnd.git-lfs+json"

// ErrorAs is Error with the body shape of an API other than the Hub's.
func ErrorAs(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, body BodyShape) {
	writeError(w, r, log, err, body, nil)
}

// ErrorWith is Error whose Hub body carries more fields beside "error", as
// the Hub's 409 on repository creation carries the existing one's "url".
func ErrorWith(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, extra map[string]string) {
	writeError(w, r, log, err, HubBody, extra)
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, body BodyShape, extra map[string]string) {
	kind := apperr.KindOf(err)
	status := Status(kind)
	if body == LFSBody && kind == apperr.Invalid {
		status = http.StatusUnprocessableEntity
	}
	if status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else {
		log.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", apperr.Public(err))
	}
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", RetryAfter)
	}
	// Hugging Face clients map errors by these headers before the body.
	if code := apperr.CodeOf(err); code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", HeaderSafe(apperr.Public(err)))
	if body == LFSBody {
		if status == http.StatusUnauthorized {
			w.Header().Set("LFS-Authenticate", `Basic realm="trustlayer"`)
			w.Header().Set("WWW-Authenticate", `Basic realm="trustlayer"`)
		}
		writeTyped(w, LFSMediaType, status, struct {
			Message   string `json:"message"`
			RequestID string `json:"request_id,omitempty"`
		}{apperr.Public(err), RequestIDOf(r)})
		return
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="trustlayer"`)
	}
	if extra != nil {
		m := map[string]string{}
		for k, v := range extra {
			m[k] = v
		}
		m["error"] = apperr.Public(err)
		JSON(w, status, m)
		return
	}
	JSON(w, status, ErrorBody{Error: apperr.Public(err)})
}

// LFS writes v as a Git LFS JSON response.
func LFS(w http.ResponseWriter, status int, v any) { writeTyped(w, LFSMediaType, status, v) }

func writeTyped(w http.ResponseWriter, mediaType string, status int, v any) {
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// NotFound answers every request that no route matched with a JSON 404.
func NotFound(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, log, apperr.E(apperr.NotExist, "No route for %s %s", r.Method, r.URL.Path))
	})
}

// RequestIDOf returns the request id stored in r's context by WithRequestID.
func RequestIDOf(r *http.Request) string { return logging.RequestID(r.Context()) }

// HeaderSafe returns s fit for a header value: printable ASCII only, at
// most 512 bytes.
func HeaderSafe(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 512; i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			c = ' '
		}
		b = append(b, c)
	}
	return string(b)
}
