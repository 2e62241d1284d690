// Package logging builds the JSON slog logger every function uses and carries
// the request id through contexts so each line of one request can be found.
// Every line it writes is passed through token.Redact, so a token-shaped
// secret in a message, an attribute or an error's text is masked.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hubsec/trustlayer/shared/token"
)

type ctxKey struct{}

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// ParseLevel turns "debug", "info", "warn" or "error" into a slog level.
func ParseLevel(s string) (slog.Level, bool) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return slog.LevelInfo, false
	}
	return l, true
}

// New returns a JSON logger writing to w (os.Stderr when nil) that adds the
// request id of the context to every record logged with a context and masks
// token-shaped secrets (hf_, hfs_, api_org_) anywhere in the line.
func New(w io.Writer, level slog.Level, fn string) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	h := slog.NewJSONHandler(redactingWriter{w}, &slog.HandlerOptions{Level: level})
	return slog.New(requestIDHandler{h}).With("function", fn)
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(a)}
}

func (h requestIDHandler) WithGroup(n string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(n)}
}

// redactingWriter masks token-shaped secrets in what the JSON handler
// writes. The handler writes one whole line per call, and JSON leaves the
// letters of a token unescaped, so redacting the line covers the message,
// every attribute (errors and nested values included) and every group.
type redactingWriter struct{ w io.Writer }

func (r redactingWriter) Write(p []byte) (int, error) {
	s := string(p)
	if out := token.Redact(s); out != s {
		if _, err := io.WriteString(r.w, out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return r.w.Write(p)
}
