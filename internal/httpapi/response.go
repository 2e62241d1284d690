// Package httpapi holds what every HTTP function shares at its edge: JSON
// responses, the one mapping from apperr kinds to statuses, strict JSON
// decoding, request ids, panic recovery and access logs.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/hubsec/trustlayer/internal/apperr"
	"github.com/hubsec/trustlayer/internal/logging"
)

// JSON writes v as a JSON response with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
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
	kind := apperr.KindOf(err)
	status := kind.Status()
	if status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else {
		log.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", apperr.Public(err))
	}
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", RetryAfter)
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="trustlayer"`)
	}
	JSON(w, status, ErrorBody{Error: apperr.Public(err)})
}

// NotFound answers every request that no route matched with a JSON 404.
func NotFound(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, log, apperr.E(apperr.NotExist, "No route for %s %s", r.Method, r.URL.Path))
	})
}

// RequestIDOf returns the request id stored in r's context by WithRequestID.
func RequestIDOf(r *http.Request) string { return logging.RequestID(r.Context()) }
