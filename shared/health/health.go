// Package health answers GET /api/health: whether the table and the uploads
// bucket can be reached. It reports names and reachability, never secrets or
// endpoint credentials.
package health

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// Probe checks one dependency.
type Probe interface {
	Check(ctx context.Context) error
}

// ProbeFunc adapts a function to Probe.
type ProbeFunc func(ctx context.Context) error

// Check calls f.
func (f ProbeFunc) Check(ctx context.Context) error { return f(ctx) }

// Dependency is a named probe shown in the response.
type Dependency struct {
	Key   string // JSON key: "table", "bucket"
	Name  string // the resource name shown to the caller
	Probe Probe
}

// Status is one dependency's part of the response.
type Status struct {
	Name      string  `json:"name"`
	Reachable bool    `json:"reachable"`
	LatencyMS float64 `json:"latencyMs"`
	Error     string  `json:"error,omitempty"`
}

// Handler returns the health endpoint's handler. Dependencies are checked
// concurrently with a short timeout; any unreachable one makes it 503.
func Handler(log *slog.Logger, deps ...Dependency) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		out := map[string]any{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		ok := true
		for _, d := range deps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				err := d.Probe.Check(ctx)
				st := Status{Name: d.Name, Reachable: err == nil, LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
				if err != nil {
					// The cause goes to the log; the caller sees only that it failed.
					log.WarnContext(r.Context(), "health probe failed", "dependency", d.Key, "err", err)
					st.Error = "unreachable"
				}
				mu.Lock()
				out[d.Key] = st
				ok = ok && err == nil
				mu.Unlock()
			}()
		}
		wg.Wait()
		status := http.StatusOK
		out["status"] = "ok"
		if !ok {
			status = http.StatusServiceUnavailable
			out["status"] = "degraded"
		}
		httpapi.JSON(w, status, out)
	})
	mux.Handle("/", httpapi.NotFound(log))
	return mux
}
