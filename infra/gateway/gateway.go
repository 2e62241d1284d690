// Package gateway is the local stand-in for API Gateway: it routes HTTP
// requests to functions the way template.yaml declares them, calling the
// Lambda authorizer first with real API Gateway payloads.
//
// A Gateway serves three handlers:
//
//   - HubAPI: every HttpApi route (function events and HTTP_PROXY routes),
//     payload format 2.0, with the HTTP API's Lambda authorizer.
//   - InferenceAPI: the REST API with an inline OpenAPI body (the Inference
//     API) and its TOKEN authorizer, proxied to an HTTP backend. It is served
//     on a listener of its own, at the root, as a custom domain would.
//   - Internal: the Lambda Invoke API, the S3 webhook receiver and the local
//     stack's control endpoints. Serve it on loopback only.
//
// Functions are reached through Invokers, so the same gateway drives
// function processes (HTTPInvoker) and in-process handlers in tests.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/shared/platform/trusthop"
)

// Defaults used in ARNs and request contexts.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	localAPIID       = "local"
	// MaxBody is API Gateway's request payload limit (10 MB).
	MaxBody = 10 << 20
)

// ServiceControl stops and starts a service of the local stack (clamd), so
// integration tests can take it away and bring it back.
type ServiceControl interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Config configures a Gateway.
type Config struct {
	Template *samtemplate.Template
	// Functions maps a function's logical id to its invoker. A function of
	// the template with no invoker answers 500 when routed to, and an
	// authorizer with no invoker denies every request it guards except
	// GET /api/health (see Warnings).
	Functions map[string]Invoker
	// Parameters override template parameters in Fn::Sub strings, e.g.
	// GitBackendUrl and InferenceBackendUrl.
	Parameters map[string]string
	Log        *slog.Logger
	Region     string // DefaultRegion if empty
	AccountID  string // DefaultAccountID if empty
	Clamd      ServiceControl
	// DynamoDB pauses (Stop) and resumes (Start) the functions' way to
	// DynamoDB Local.
	DynamoDB ServiceControl
	// ProxyTransport carries HTTP_PROXY integrations (http.DefaultTransport if nil).
	ProxyTransport http.RoundTripper
	// TrustHop, when set, signs every request proxied to an HTTP backend
	// (trusthop.HeaderSignature), so the backend can tell it came from
	// here after the authorizer. Client-sent signature headers are always
	// removed.
	TrustHop *trusthop.Key
	// S3Notify, when set, receives every record of the S3 webhook (the
	// bucket notifications that go to queues, not to functions).
	S3Notify func(records []json.RawMessage)
}

// Gateway routes requests as API Gateway would. Build it with New.
type Gateway struct {
	cfg         Config
	apis        map[string]samtemplate.API
	hub         *router
	rest        *router
	restAPI     map[*route]restOperation
	s3Functions map[string][]samtemplate.Event
	warnings    []string
	bg          sync.WaitGroup
}

type restOperation struct {
	api samtemplate.API
	op  samtemplate.Operation
}

// New builds a gateway from cfg.Template.
func New(cfg Config) (*Gateway, error) {
	if cfg.Template == nil {
		return nil, fmt.Errorf("gateway: no template")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.Functions == nil {
		cfg.Functions = map[string]Invoker{}
	}
	if cfg.ProxyTransport == nil {
		cfg.ProxyTransport = http.DefaultTransport
	}
	g := &Gateway{cfg: cfg, apis: cfg.Template.APIs(), restAPI: map[*route]restOperation{}, s3Functions: cfg.Template.S3Functions()}
	routes, err := cfg.Template.HTTPRoutes()
	if err != nil {
		return nil, err
	}
	if g.hub, err = newRouter(routes); err != nil {
		return nil, err
	}
	g.rest = &router{}
	for _, api := range g.apis {
		if api.Type != samtemplate.TypeRestAPI {
			continue
		}
		for _, op := range api.Operations {
			c, err := compileRoute(samtemplate.Route{Source: api.LogicalID, API: api.LogicalID, Method: op.Method, Path: op.Path})
			if err != nil {
				return nil, err
			}
			g.rest.routes = append(g.rest.routes, c)
			g.restAPI[c] = restOperation{api, op}
		}
	}
	g.warnings = g.checkFunctions(routes)
	for _, w := range g.warnings {
		cfg.Log.Warn(w)
	}
	return g, nil
}

// checkFunctions lists what the template needs and no invoker provides.
func (g *Gateway) checkFunctions(routes []samtemplate.Route) []string {
	var out []string
	seen := map[string]bool{}
	for _, api := range sortedAPIs(g.apis) {
		for _, az := range api.Authorizers {
			if _, ok := g.cfg.Functions[az.Function]; ok || seen[az.Function] {
				continue
			}
			seen[az.Function] = true
			out = append(out, fmt.Sprintf("AUTHORIZER MISSING: %s (authorizer %s of %s) has no running function (functions/%s does not exist or was not started). "+
				"Every route it guards is DENIED with 403, except GET /api/health, which is let through unauthorized.",
				az.Function, az.Name, api.LogicalID, samtemplate.Folder(az.Function)))
		}
	}
	for _, r := range routes {
		if r.Function == "" || seen[r.Function] {
			continue
		}
		if _, ok := g.cfg.Functions[r.Function]; !ok {
			seen[r.Function] = true
			out = append(out, fmt.Sprintf("function %s has no running function: its routes answer 500", r.Function))
		}
	}
	return out
}

func sortedAPIs(m map[string]samtemplate.API) []samtemplate.API {
	var out []samtemplate.API
	for _, a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// Warnings returns what New found missing (an authorizer or function with
// no invoker), to be shown loudly at start.
func (g *Gateway) Warnings() []string { return g.warnings }

// Routes returns the HTTP API routes the gateway serves.
func (g *Gateway) Routes() []samtemplate.Route {
	out := make([]samtemplate.Route, len(g.hub.routes))
	for i, r := range g.hub.routes {
		out[i] = r.Route
	}
	return out
}

// Wait blocks until background (asynchronous) invocations have finished.
func (g *Gateway) Wait() { g.bg.Wait() }

// errorJSON writes API Gateway's own error shape: {"message": "..."}.
func errorJSON(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": message})
	w.Write(b)
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// accessEntry collects what the access log line reports.
type accessEntry struct {
	route, auth string
	requestID   string // also sent as Apigw-Requestid, as API Gateway does
}

type entryKey struct{}

func entry(r *http.Request) *accessEntry {
	if e, ok := r.Context().Value(entryKey{}).(*accessEntry); ok {
		return e
	}
	return &accessEntry{}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog logs one line per request. It never logs headers, so
// Authorization never reaches the log.
func (g *Gateway) accessLog(api string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		e := &accessEntry{route: "-", auth: "-", requestID: newRequestID()}
		w.Header().Set("Apigw-Requestid", e.requestID)
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), entryKey{}, e)))
		g.cfg.Log.Info("request", "api", api, "method", r.Method, "path", r.URL.Path,
			"route", e.route, "status", rec.status, "auth", e.auth, "requestId", e.requestID,
			"durationMs", float64(time.Since(start).Microseconds())/1000)
	})
}

// cut returns s split at the first sep, trimmed.
func lowerHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			continue
		}
		out[lk] = strings.Join(v, ",")
	}
	return out
}

// signHop removes any client-sent hop signature from out and, with a
// TrustHop key, signs it as it leaves for the backend.
func (g *Gateway) signHop(out *http.Request) {
	out.Header.Del(trusthop.HeaderSignature)
	out.Header.Del(trusthop.HeaderTimestamp)
	if g.cfg.TrustHop != nil {
		g.cfg.TrustHop.Sign(out.Header, out.Method, trusthop.PathQuery(out))
	}
}
