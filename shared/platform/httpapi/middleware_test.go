package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWrapAnswersBeforeTheDeadline (invariant 13): a handler waiting on a
// dependency that never answers gets its context ended DeadlineMargin
// before the invocation's deadline, so it answers 503 with Retry-After
// while it still can, rather than being stopped at the deadline.
func TestWrapAnswersBeforeTheDeadline(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var got time.Time
	hung := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = r.Context().Deadline()
		select {
		case <-r.Context().Done():
			Error(w, r, log, r.Context().Err())
		case <-time.After(time.Minute):
			w.WriteHeader(200)
		}
	})
	deadline := time.Now().Add(DeadlineMargin + 300*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	w := httptest.NewRecorder()
	Wrap(hung, log).ServeHTTP(w, httptest.NewRequest("GET", "/x", nil).WithContext(ctx))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("a hung dependency answered %d Retry-After %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if want := deadline.Add(-DeadlineMargin); !got.Equal(want) {
		t.Fatalf("the handler's deadline is %v, want %v (DeadlineMargin before the invocation's)", got, want)
	}
}
