package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/logging"
	"github.com/hubsec/trustlayer/shared/platform/randid"
)

// DeadlineMargin is how long before the invocation's deadline (Lambda's
// timeout) a request's own context ends: a dependency that hangs (accepts
// and never answers) then fails the call with a deadline, which is an
// outage (apperr.Outage), and the function still has the time to answer
// 503 with Retry-After, instead of being stopped by Lambda, which API
// Gateway answers with a 500 (invariant 13 in docs/invariants.md).
const DeadlineMargin = time.Second

// Wrap adds, around h: a request id (API Gateway's on Lambda, a sane incoming
// X-Request-Id from a gateway, or a new one) echoed in X-Request-Id; panic
// recovery that answers a JSON 500; a context that ends DeadlineMargin
// before the invocation's deadline, when it has one; and one access-log
// line per request.
func Wrap(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := requestID(r)
		ctx := logging.WithRequestID(r.Context(), id)
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-DeadlineMargin))
			defer cancel()
		}
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(r.Context(), "panic", "panic", p)
				if !sw.wrote {
					Error(sw, r, log, apperr.E(apperr.Internal, "panic"))
				}
			}
			log.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		h.ServeHTTP(sw, r)
	})
}

func requestID(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.RequestID != "" {
		return rc.RequestID
	}
	if v := r.Header.Get("X-Request-Id"); saneID(v) {
		return v
	}
	return randid.New()
}

// saneID accepts ids of up to 128 characters of letters, digits, '-', '_', '=', '.'.
func saneID(v string) bool {
	if v == "" || len(v) > 128 {
		return false
	}
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '=', c == '.':
		default:
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
