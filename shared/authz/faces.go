package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
)

// ErrUnauthorized is what a REST API authorizer returns to make API Gateway
// answer 401 (the exact string matters).
var ErrUnauthorized = errors.New("Unauthorized")

// ErrUnavailable is what the AWS faces return when the decision could not
// be made because the store is down. A Lambda authorizer can only allow or
// deny, and a deny is a 403 "Forbidden": the caller did nothing wrong, so
// the authorizer fails instead. API Gateway then answers 500 on the HTTP
// API (which offers no way to change it) and, on the REST API, the
// AUTHORIZER_FAILURE gateway response, which template.yaml sets to 503 with
// Retry-After. Routes with a function of ours behind them get a real 503
// through the context instead (see HTTPAPI).
var ErrUnavailable = errors.New("authorization is temporarily unavailable: the store could not be reached")

// HandleEvent is the Lambda entry point of all three AWS faces: it tells
// the event kind by its shape (HTTP API payload 2.0, REST TOKEN, REST
// REQUEST) and answers in that kind's format.
func (a *Authorizer) HandleEvent(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Version   string `json:"version"`
		Type      string `json:"type"`
		MethodArn string `json:"methodArn"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("authorizer event is not JSON: %w", err)
	}
	switch {
	case probe.Version == "2.0":
		var ev HTTPAPIRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode HTTP API authorizer event: %w", err)
		}
		return a.HTTPAPI(ctx, ev)
	case probe.Type == "TOKEN":
		var ev RESTTokenRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode TOKEN authorizer event: %w", err)
		}
		return a.RESTToken(ctx, ev)
	case probe.Type == "REQUEST" && probe.MethodArn != "":
		var ev RESTRequestRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode REQUEST authorizer event: %w", err)
		}
		return a.RESTRequest(ctx, ev)
	}
	return nil, errors.New("unknown authorizer event: expected HTTP API 2.0, REST TOKEN or REST REQUEST")
}

// HTTPAPI answers an API Gateway HTTP API authorizer (payload 2.0, simple
// responses). Only 403-worthy denials, and every denial on routes with no
// function of ours behind them, are gateway denials; others travel in the
// context for principal.Middleware (see package principal).
//
// An outage on a route with no function of ours behind it (git) is
// ErrUnavailable, never a 403.
func (a *Authorizer) HTTPAPI(ctx context.Context, ev HTTPAPIRequest) (HTTPAPISimpleResponse, error) {
	h := http.Header{}
	for k, v := range ev.Headers {
		h.Set(k, v)
	}
	// Payload 2.0 carries cookies in their own field, not in the headers.
	if len(ev.Cookies) > 0 {
		h.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	out := a.Decide(ctx, Request{Method: ev.RequestContext.HTTP.Method, Path: path, Query: ev.RawQueryString,
		Header: h, SourceIP: ev.RequestContext.HTTP.SourceIP})
	a.logDecision(ctx, "http-api", ev.RequestContext.HTTP.Method, path, out)
	if out.Allow {
		return HTTPAPISimpleResponse{IsAuthorized: true, Context: principal.Context(out.Caller, nil)}, nil
	}
	route := out.Route
	if route == nil {
		// Denied before routing (a malformed credential): find out whether
		// a function of ours is behind the route to defer the 401/400 to.
		route, _, _ = Match(Table, ev.RequestContext.HTTP.Method, path)
	}
	// Behind a proxy route (the git server) only a missing or bad
	// credential is deferred: git sends its credentials only after a 401
	// with WWW-Authenticate, which an HTTP API authorizer cannot answer. The
	// git server admits nothing without X-Trust-Decision: allow (mapped from
	// this context by the integration, never from the client) and answers
	// the 401 challenge itself.
	if out.Deny.Kind == apperr.Unavailable && (route == nil || route.Proxy) {
		return HTTPAPISimpleResponse{}, ErrUnavailable
	}
	// A 403 is deferred too, so that its reason (which permission is
	// missing, on what) reaches the caller in the body and X-Error-Message;
	// the gateway's own 403 can only say "Forbidden". The git server
	// answers it the same way (it admits only decision=allow).
	if route == nil || (route.Proxy && out.Deny.Kind != apperr.Unauthenticated && out.Deny.Kind != apperr.Permission) {
		return HTTPAPISimpleResponse{IsAuthorized: false}, nil
	}
	return HTTPAPISimpleResponse{IsAuthorized: true, Context: principal.Context(out.Caller, out.Deny)}, nil
}

// methodFromArn splits "arn:aws:execute-api:region:acct:api/stage/METHOD/path".
func methodFromArn(arn string) (method, path string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", "", false
	}
	segs := strings.SplitN(parts[5], "/", 4)
	if len(segs) < 3 {
		return "", "", false
	}
	path = "/"
	if len(segs) == 4 {
		path += segs[3]
	}
	return segs[2], path, true
}

// RESTToken answers a REST API TOKEN authorizer.
func (a *Authorizer) RESTToken(ctx context.Context, ev RESTTokenRequest) (RESTResponse, error) {
	method, path, ok := methodFromArn(ev.MethodArn)
	if !ok {
		return RESTResponse{}, ErrUnauthorized
	}
	h := http.Header{}
	h.Set("Authorization", ev.AuthorizationToken)
	return a.rest(ctx, "rest-token", ev.MethodArn, Request{Method: method, Path: path, Header: h})
}

// RESTRequest answers a REST API REQUEST authorizer.
func (a *Authorizer) RESTRequest(ctx context.Context, ev RESTRequestRequest) (RESTResponse, error) {
	h := http.Header{}
	for k, v := range ev.Headers {
		h.Set(k, v)
	}
	q := url.Values{}
	for k, v := range ev.QueryStringParameters {
		q.Set(k, v)
	}
	// Repeated parameters keep every value, so that a repeated ?service=
	// is refused here as on the other faces (queryStringParameters holds
	// only the last).
	for k, vs := range ev.MultiValueQueryStringParameters {
		if len(vs) > 1 {
			q[k] = vs
		}
	}
	path := ev.Path
	if path == "" {
		_, path, _ = methodFromArn(ev.MethodArn)
	}
	return a.rest(ctx, "rest-request", ev.MethodArn, Request{Method: ev.HTTPMethod, Path: path, Query: q.Encode(),
		Header: h, SourceIP: ev.RequestContext.Identity.SourceIP})
}

func (a *Authorizer) rest(ctx context.Context, face, arn string, req Request) (RESTResponse, error) {
	out := a.Decide(ctx, req)
	a.logDecision(ctx, face, req.Method, req.Path, out)
	if !out.Allow && out.Deny.Kind == apperr.Unauthenticated {
		return RESTResponse{}, ErrUnauthorized
	}
	if !out.Allow && out.Deny.Kind == apperr.Unavailable {
		return RESTResponse{}, ErrUnavailable
	}
	effect := "Deny"
	var ctxMap map[string]any
	if out.Allow {
		effect = "Allow"
		ctxMap = principal.Context(out.Caller, nil)
	} else {
		// Only the ACCESS_DENIED gateway response sees a deny's context:
		// the reason the caller gets in the body and X-Error-Message.
		ctxMap = map[string]any{principal.KeyReason: httpapi.HeaderSafe(apperr.Public(out.Deny))}
	}
	id := out.Caller.Username
	if id == "" {
		id = out.Caller.Org
	}
	if id == "" {
		id = "anonymous"
	}
	return RESTResponse{
		PrincipalID: id,
		PolicyDocument: RESTPolicy{Version: "2012-10-17", Statement: []IAMStatement{
			{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{arn}},
		}},
		Context: ctxMap,
	}, nil
}

// The forward-auth faces answer gateways outside AWS. Each reads the
// original request from the one place its gateway writes it, and from
// nowhere else: a gateway passes the client's own headers through, so a
// fallback from one header family to another would let a client name the
// request to authorise (push with X-Original-URI: /api/health through
// Traefik, which sets only X-Forwarded-*). Allowed: 200 with every
// X-Trust-* header (empty when it does not apply, so that a client-supplied
// one cannot survive the gateway's copy). Denied: the status and a JSON
// error; an outage is 503 with Retry-After, never a denial.

// NginxAuth is the face for nginx auth_request (GET /auth/nginx, and /auth):
// it reads only X-Original-Method and X-Original-URI, which the nginx
// configuration must set with proxy_set_header (replacing the client's).
func (a *Authorizer) NginxAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, uri := r.Header.Get("X-Original-Method"), r.Header.Get("X-Original-URI")
		if method == "" || uri == "" {
			a.refuseFace(w, "nginx: X-Original-Method and X-Original-URI must be set by the gateway (proxy_set_header)")
			return
		}
		a.forward(w, r, "forward-auth-nginx", method, uri)
	})
}

// TraefikAuth is the face for Traefik ForwardAuth (GET /auth/traefik): it
// reads only X-Forwarded-Method and X-Forwarded-Uri, which Traefik
// overwrites (with trustForwardHeader off, its default) along with
// X-Forwarded-Host and X-Forwarded-Proto.
func (a *Authorizer) TraefikAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, uri := r.Header.Get("X-Forwarded-Method"), r.Header.Get("X-Forwarded-Uri")
		if method == "" || uri == "" {
			a.refuseFace(w, "traefik: X-Forwarded-Method and X-Forwarded-Uri must be set by the gateway")
			return
		}
		a.forward(w, r, "forward-auth-traefik", method, uri)
	})
}

// EnvoyAuth is the face for Envoy ext_authz over HTTP (any path under
// prefix, with path_prefix set to it): the original method and path are
// this request's own request line; no header names them.
func (a *Authorizer) EnvoyAuth(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uri, ok := strings.CutPrefix(r.URL.RequestURI(), prefix)
		if !ok || !strings.HasPrefix(uri, "/") {
			a.refuseFace(w, "envoy: the path must start with "+prefix+"/")
			return
		}
		a.forward(w, r, "ext-authz", r.Method, uri)
	})
}

// TrustHeaders are the headers an allowed forward-auth answer carries, each
// always present: a gateway copying them (Traefik authResponseHeaders, nginx
// auth_request_set) then replaces any the client sent.
var TrustHeaders = []string{principal.KeyDecision, principal.KeyKind, principal.KeyUserID, principal.KeyUser,
	principal.KeyTokenID, principal.KeyRole, principal.KeyOrg, principal.KeyRepoID}

// TrustHeader is the response header that carries context key k
// (X-Trust-Token-Id for tokenId, as template.yaml names them).
func TrustHeader(k string) string {
	var b strings.Builder
	b.WriteString("X-Trust")
	for i, c := range k {
		if i == 0 || (c >= 'A' && c <= 'Z') {
			b.WriteByte('-')
			c = unicode.ToUpper(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (a *Authorizer) refuseFace(w http.ResponseWriter, msg string) {
	httpapi.JSON(w, http.StatusBadRequest, httpapi.ErrorBody{Error: "Forward-auth request is incomplete: " + msg})
}

func (a *Authorizer) forward(w http.ResponseWriter, r *http.Request, face, method, uri string) {
	path, query, _ := strings.Cut(uri, "?")
	out := a.Decide(r.Context(), Request{Method: method, Path: path, Query: query, Header: r.Header, SourceIP: sourceIP(r)})
	a.logDecision(r.Context(), face, method, path, out)
	if !out.Allow {
		switch out.Deny.Kind {
		case apperr.Unauthenticated:
			w.Header().Set("WWW-Authenticate", `Basic realm="trustlayer"`)
		case apperr.Unavailable:
			w.Header().Set("Retry-After", httpapi.RetryAfter)
		}
		httpapi.JSON(w, httpapi.Status(out.Deny.Kind), httpapi.ErrorBody{Error: apperr.Public(out.Deny)})
		return
	}
	ctx := principal.Context(out.Caller, nil)
	for _, k := range TrustHeaders {
		v := ""
		if x, ok := ctx[k]; ok {
			v = fmt.Sprint(x)
		}
		w.Header()[TrustHeader(k)] = []string{v}
	}
	w.WriteHeader(http.StatusOK)
}

func sourceIP(r *http.Request) string {
	if v := r.Header.Get("X-Real-Ip"); v != "" {
		return v
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

func (a *Authorizer) logDecision(ctx context.Context, face, method, path string, out Outcome) {
	if a.Log == nil {
		return
	}
	status := 200
	reason := ""
	if !out.Allow {
		status, reason = httpapi.Status(out.Deny.Kind), apperr.Public(out.Deny)
	}
	a.Log.InfoContext(ctx, "decision", "face", face, "method", method, "path", path, "allow", out.Allow,
		"status", status, "reason", reason, "caller", out.Caller.Username, "kind", out.Caller.Kind.String(), "tokenId", out.Caller.TokenID)
}
