package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// healthRouteKey is the one route let through when the authorizer
// function is missing, so that a half-built stack still reports health.
const healthRouteKey = "GET /api/health"

// HubAPI returns the handler of the HTTP API routes.
func (g *Gateway) HubAPI() http.Handler {
	return g.accessLog("hub", http.HandlerFunc(g.serveHub))
}

func (g *Gateway) serveHub(w http.ResponseWriter, r *http.Request) {
	e := entry(r)
	rt, params := g.hub.find(r.Method, r.URL.EscapedPath())
	// An HTTP_PROXY integration (the git server) gets the body streamed,
	// of any size and chunked or not: it stands for the path git takes on
	// AWS, an ALB in front of the git server (docs/git-server.md), which
	// has no 10 MB cap. A function's event carries at most MaxBody.
	var body []byte
	if rt == nil || rt.Integration == nil {
		var ok bool
		if body, ok = readBody(w, r); !ok {
			return
		}
	}
	if rt == nil {
		errorJSON(w, http.StatusNotFound, "Not Found")
		return
	}
	e.route = rt.Key()
	requestID := e.requestID
	stage := g.apis[rt.API].StageName
	if stage == "" {
		stage = "$default"
	}
	rc := g.requestContext(r, rt, stage, requestID)

	var authCtx map[string]any
	if rt.Authorizer != "" {
		var status int
		authCtx, status = g.authorizeV2(r.Context(), r, rt, params, rc, e)
		if status != 0 {
			msg := map[int]string{http.StatusForbidden: "Forbidden", http.StatusUnauthorized: "Unauthorized"}[status]
			if msg == "" {
				msg = "Internal Server Error"
			}
			errorJSON(w, status, msg)
			return
		}
	} else {
		e.auth = "none"
	}

	if rt.Integration != nil {
		g.proxyHTTP(w, r, rt, params, authCtx, requestID)
		return
	}
	rc.Authorizer = nil
	if authCtx != nil {
		rc.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: authCtx}
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              rt.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies(r),
		Headers:               lowerHeaders(r.Header),
		QueryStringParameters: queryParams(r.URL.Query()),
		PathParameters:        nilIfEmpty(params),
		RequestContext:        rc,
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	inv, ok := g.cfg.Functions[rt.Function]
	if !ok {
		g.cfg.Log.Error("route has no running function", "route", rt.Key(), "function", rt.Function, "requestId", requestID)
		errorJSON(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	payload, _ := json.Marshal(ev)
	out, err := inv.Invoke(r.Context(), payload)
	if err != nil {
		g.cfg.Log.Error("function failed", "function", rt.Function, "requestId", requestID, "err", err)
		errorJSON(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if err := writeV2Response(w, out); err != nil {
		g.cfg.Log.Error("bad function response", "function", rt.Function, "requestId", requestID, "err", err)
		errorJSON(w, http.StatusInternalServerError, "Internal Server Error")
	}
}

// readBody reads at most MaxBody bytes; a larger body is answered 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > MaxBody {
		errorJSON(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		errorJSON(w, http.StatusBadRequest, "Bad Request")
		return nil, false
	}
	if len(body) > MaxBody {
		errorJSON(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return nil, false
	}
	return body, true
}

func (g *Gateway) requestContext(r *http.Request, rt *route, stage, requestID string) events.APIGatewayV2HTTPRequestContext {
	now := time.Now()
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return events.APIGatewayV2HTTPRequestContext{
		RouteKey:     rt.Key(),
		AccountID:    g.cfg.AccountID,
		Stage:        stage,
		RequestID:    requestID,
		APIID:        localAPIID,
		DomainName:   r.Host,
		DomainPrefix: strings.Split(r.Host, ".")[0],
		Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch:    now.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method:    r.Method,
			Path:      r.URL.Path,
			Protocol:  r.Proto,
			SourceIP:  host,
			UserAgent: r.UserAgent(),
		},
	}
}

func (g *Gateway) routeARN(stage, method, path string) string {
	return fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s", g.cfg.Region, g.cfg.AccountID, localAPIID, stage, method, path)
}

// authorizeV2 runs the HTTP API Lambda authorizer of rt. It returns the
// authorizer context, or the status to answer with.
func (g *Gateway) authorizeV2(ctx context.Context, r *http.Request, rt *route, params map[string]string, rc events.APIGatewayV2HTTPRequestContext, e *accessEntry) (map[string]any, int) {
	api := g.apis[rt.API]
	az, ok := api.Authorizers[rt.Authorizer]
	if !ok {
		g.cfg.Log.Error("route names an authorizer the API does not declare", "route", rt.Key(), "authorizer", rt.Authorizer)
		e.auth = "error"
		return nil, http.StatusInternalServerError
	}
	inv, ok := g.cfg.Functions[az.Function]
	if !ok {
		if rt.Key() == healthRouteKey {
			e.auth = "missing-authorizer:allowed-health"
			return nil, 0
		}
		g.cfg.Log.Warn("authorizer function missing: denying", "authorizer", az.Function, "route", rt.Key())
		e.auth = "missing-authorizer:deny"
		return nil, http.StatusForbidden
	}
	ev := events.APIGatewayV2CustomAuthorizerV2Request{
		Version:               "2.0",
		Type:                  "REQUEST",
		RouteArn:              g.routeARN(rc.Stage, r.Method, r.URL.EscapedPath()),
		RouteKey:              rt.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies(r),
		Headers:               lowerHeaders(r.Header),
		QueryStringParameters: queryParams(r.URL.Query()),
		PathParameters:        nilIfEmpty(params),
		RequestContext:        rc,
	}
	payload, _ := json.Marshal(ev)
	out, err := inv.Invoke(ctx, payload)
	if err != nil {
		// Fail closed: API Gateway answers 500 when the authorizer fails.
		g.cfg.Log.Error("authorizer failed", "authorizer", az.Function, "requestId", rc.RequestID, "err", err)
		e.auth = "error"
		return nil, http.StatusInternalServerError
	}
	var resp struct {
		IsAuthorized   *bool          `json:"isAuthorized"`
		Context        map[string]any `json:"context"`
		PolicyDocument *policyDoc     `json:"policyDocument"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		g.cfg.Log.Error("authorizer response is not JSON", "authorizer", az.Function, "requestId", rc.RequestID, "err", err)
		e.auth = "error"
		return nil, http.StatusInternalServerError
	}
	allowed := false
	switch {
	case az.SimpleResponses && resp.IsAuthorized != nil:
		allowed = *resp.IsAuthorized
	case resp.PolicyDocument != nil:
		allowed = resp.PolicyDocument.decide(ev.RouteArn) == policyAllow
	default:
		g.cfg.Log.Error("authorizer response has neither isAuthorized nor policyDocument", "authorizer", az.Function, "requestId", rc.RequestID)
		e.auth = "error"
		return nil, http.StatusInternalServerError
	}
	if !allowed {
		e.auth = "deny"
		return nil, http.StatusForbidden
	}
	e.auth = "allow"
	if resp.Context == nil {
		resp.Context = map[string]any{}
	}
	return resp.Context, 0
}

// writeV2Response turns a payload-2.0 function result into the HTTP
// response. A result without statusCode is, as API Gateway infers, a 200
// JSON body.
func writeV2Response(w http.ResponseWriter, out []byte) error {
	var probe map[string]json.RawMessage
	if json.Unmarshal(out, &probe) != nil || probe["statusCode"] == nil {
		if !json.Valid(out) {
			return errors.New("function result is not JSON")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(out)
		return nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("decode function response: %w", err)
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("function response status %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return fmt.Errorf("decode base64 body: %w", err)
		}
	}
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
	return nil
}

// proxyHTTP forwards a request to an HTTP_PROXY integration (the git
// server), applying its request parameter mappings.
func (g *Gateway) proxyHTTP(w http.ResponseWriter, r *http.Request, rt *route, params map[string]string, authCtx map[string]any, requestID string) {
	in := rt.Integration
	target, err := url.Parse(g.cfg.Template.Sub(in.URI, g.cfg.Parameters))
	if err != nil || target.Host == "" {
		g.cfg.Log.Error("bad integration URI", "integration", in.LogicalID, "err", err)
		errorJSON(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	resolve := func(src string) string {
		switch {
		case src == "$request.path":
			return r.URL.EscapedPath()
		case strings.HasPrefix(src, "$context.authorizer."):
			return fmt.Sprint(valueOr(authCtx, strings.TrimPrefix(src, "$context.authorizer.")))
		case src == "$context.requestId":
			return requestID
		case strings.HasPrefix(src, "$request.header."):
			return r.Header.Get(strings.TrimPrefix(src, "$request.header."))
		case strings.HasPrefix(src, "$request.querystring."):
			return r.URL.Query().Get(strings.TrimPrefix(src, "$request.querystring."))
		case strings.HasPrefix(src, "$request.path."):
			return params[strings.TrimPrefix(src, "$request.path.")]
		}
		return src
	}
	path := target.EscapedPath()
	for name, v := range params {
		path = strings.ReplaceAll(path, "%7B"+name+"%7D", v)
		path = strings.ReplaceAll(path, "{"+name+"}", v)
	}
	header := r.Header.Clone()
	for k, src := range in.RequestParameters {
		op, field, _ := strings.Cut(k, ":")
		switch {
		case field == "path" && op == "overwrite":
			path = resolve(src)
		case strings.HasPrefix(field, "header."):
			name := strings.TrimPrefix(field, "header.")
			v := resolve(src)
			switch op {
			case "overwrite":
				// An empty value removes the header, so a caller can never
				// supply it itself.
				header.Del(name)
				if v != "" {
					header.Set(name, v)
				}
			case "append":
				if v != "" {
					header.Add(name, v)
				}
			case "remove":
				header.Del(name)
			}
		}
	}
	rp := &httputil.ReverseProxy{
		Transport: g.cfg.ProxyTransport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = target.Scheme
			pr.Out.URL.Host = target.Host
			pr.Out.URL.RawPath = path
			pr.Out.URL.Path, _ = url.PathUnescape(path)
			pr.Out.URL.RawQuery = r.URL.RawQuery
			pr.Out.Header = header
			pr.Out.Host = target.Host
			// The body streams through as it came: with its length, or
			// chunked (ContentLength -1) when the client did not say it.
			pr.Out.ContentLength = r.ContentLength
			if r.ContentLength == 0 {
				pr.Out.Body = http.NoBody
			}
			g.signHop(pr.Out)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			g.cfg.Log.Error("integration failed", "integration", in.LogicalID, "requestId", requestID, "err", err)
			errorJSON(w, http.StatusServiceUnavailable, "Service Unavailable")
		},
	}
	rp.ServeHTTP(w, r)
}

func valueOr(m map[string]any, k string) any {
	if v, ok := m[k]; ok && v != nil {
		return v
	}
	return ""
}

func cookies(r *http.Request) []string {
	var out []string
	for _, line := range r.Header.Values("Cookie") {
		for _, c := range strings.Split(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

func queryParams(q url.Values) map[string]string {
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = strings.Join(v, ",")
	}
	return out
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
