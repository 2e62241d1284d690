package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// REST API error bodies, as API Gateway words them.
const (
	msgUnauthorized  = "Unauthorized"
	msgExplicitDeny  = "User is not authorized to access this resource with an explicit deny"
	msgImplicitDeny  = "User is not authorized to access this resource"
	msgInternalError = "Internal Server Error"
)

// InferenceAPI returns the handler of the REST APIs' operations (the
// Inference API), served at the root of its own listener.
func (g *Gateway) InferenceAPI() http.Handler {
	return g.accessLog("inference", http.HandlerFunc(g.serveREST))
}

func (g *Gateway) serveREST(w http.ResponseWriter, r *http.Request) {
	e := entry(r)
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	rt, params := g.rest.find(r.Method, r.URL.EscapedPath())
	if rt == nil {
		// REST APIs answer an unknown resource or method with 403
		// "Missing Authentication Token" (HTTP APIs answer 404).
		errorJSON(w, http.StatusForbidden, "Missing Authentication Token")
		return
	}
	e.route = rt.Key()
	ro := g.restAPI[rt]
	stage := ro.api.StageName
	methodARN := g.routeARN(stage, r.Method, r.URL.EscapedPath())
	var authCtx map[string]any
	if ro.op.Authorizer != "" {
		var status int
		var msg string
		authCtx, status, msg = g.authorizeREST(r.Context(), r, ro, params, methodARN, e)
		if gr, ok := ro.api.GatewayResponses["AUTHORIZER_FAILURE"]; ok && e.auth == "failed" && gr.StatusCode != 0 {
			for k, v := range gr.Headers {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(gr.StatusCode)
			io.WriteString(w, gr.Body)
			return
		}
		if gr, ok := ro.api.GatewayResponses["ACCESS_DENIED"]; ok && e.auth == "deny" && gr.StatusCode != 0 {
			writeGatewayResponse(w, gr, authCtx)
			return
		}
		if status != 0 {
			errorJSON(w, status, msg)
			return
		}
	} else {
		e.auth = "none"
	}
	in := ro.op.Integration
	if in.Type != "HTTP_PROXY" {
		g.cfg.Log.Error("unsupported REST integration type", "type", in.Type, "route", rt.Key())
		errorJSON(w, http.StatusInternalServerError, msgInternalError)
		return
	}
	target := g.cfg.Template.Sub(in.URI, g.cfg.Parameters)
	header := r.Header.Clone()
	header.Del("Authorization") // consumed by the authorizer
	for to, from := range in.RequestParameters {
		v, ok := restSource(from, r, params, authCtx)
		switch {
		case strings.HasPrefix(to, "integration.request.path."):
			name := strings.TrimPrefix(to, "integration.request.path.")
			target = strings.ReplaceAll(target, "{"+name+"}", url.PathEscape(v))
		case strings.HasPrefix(to, "integration.request.header."):
			name := strings.TrimPrefix(to, "integration.request.header.")
			header.Del(name)
			if ok && v != "" {
				header.Set(name, v)
			}
		case strings.HasPrefix(to, "integration.request.querystring."):
			// Added below, after the target is parsed.
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		g.cfg.Log.Error("bad integration URI", "uri", target, "err", err)
		errorJSON(w, http.StatusInternalServerError, msgInternalError)
		return
	}
	q := r.URL.Query()
	for to, from := range in.RequestParameters {
		if name, ok := strings.CutPrefix(to, "integration.request.querystring."); ok {
			if v, ok := restSource(from, r, params, authCtx); ok {
				q.Set(name, v)
			}
		}
	}
	u.RawQuery = q.Encode()
	method := in.Method
	if method == "" || method == "ANY" {
		method = r.Method
	}
	req, err := http.NewRequestWithContext(r.Context(), method, u.String(), strings.NewReader(string(body)))
	if err != nil {
		errorJSON(w, http.StatusInternalServerError, msgInternalError)
		return
	}
	for _, h := range []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Te", "Trailer"} {
		header.Del(h)
	}
	req.Header = header
	g.signHop(req)
	resp, err := g.cfg.ProxyTransport.RoundTrip(req)
	if err != nil {
		g.cfg.Log.Error("integration failed", "uri", u.Redacted(), "err", err)
		errorJSON(w, http.StatusBadGateway, msgInternalError)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// restSource resolves a REST mapping source: method.request.path.X,
// method.request.header.X, method.request.querystring.X,
// context.authorizer.X or a 'literal'.
func restSource(from string, r *http.Request, params map[string]string, authCtx map[string]any) (string, bool) {
	switch {
	case strings.HasPrefix(from, "method.request.path."):
		v, ok := params[strings.TrimPrefix(from, "method.request.path.")]
		return v, ok
	case strings.HasPrefix(from, "method.request.header."):
		v := r.Header.Get(strings.TrimPrefix(from, "method.request.header."))
		return v, v != ""
	case strings.HasPrefix(from, "method.request.querystring."):
		v := r.URL.Query().Get(strings.TrimPrefix(from, "method.request.querystring."))
		return v, v != ""
	case strings.HasPrefix(from, "context.authorizer."):
		v, ok := authCtx[strings.TrimPrefix(from, "context.authorizer.")]
		if !ok || v == nil {
			return "", false
		}
		return fmt.Sprint(v), true
	case len(from) >= 2 && from[0] == '\'' && from[len(from)-1] == '\'':
		return from[1 : len(from)-1], true
	}
	return "", false
}

// authorizeREST runs a REST API Lambda authorizer (TOKEN or REQUEST).
func (g *Gateway) authorizeREST(ctx context.Context, r *http.Request, ro restOperation, params map[string]string, methodARN string, e *accessEntry) (map[string]any, int, string) {
	az, ok := ro.api.Authorizers[ro.op.Authorizer]
	if !ok {
		e.auth = "error"
		return nil, http.StatusInternalServerError, msgInternalError
	}
	var payload []byte
	switch az.PayloadType {
	case "TOKEN":
		token := r.Header.Get(az.IdentityHeader)
		if token == "" {
			// The identity source is missing: API Gateway answers 401
			// without calling the authorizer.
			e.auth = "no-identity"
			return nil, http.StatusUnauthorized, msgUnauthorized
		}
		payload, _ = json.Marshal(events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: token, MethodArn: methodARN})
	default:
		payload, _ = json.Marshal(events.APIGatewayCustomAuthorizerRequestTypeRequest{
			Type:                  "REQUEST",
			MethodArn:             methodARN,
			Resource:              ro.op.Path,
			Path:                  r.URL.Path,
			HTTPMethod:            r.Method,
			Headers:               singleHeaders(r.Header),
			MultiValueHeaders:     r.Header,
			QueryStringParameters: queryParams(r.URL.Query()),
			PathParameters:        nilIfEmpty(params),
			RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
				AccountID: g.cfg.AccountID, ResourcePath: ro.op.Path, Stage: ro.api.StageName,
				RequestID: newRequestID(), APIID: localAPIID, HTTPMethod: r.Method, Path: r.URL.Path,
			},
		})
	}
	inv, ok := g.cfg.Functions[az.Function]
	if !ok {
		g.cfg.Log.Warn("authorizer function missing: denying", "authorizer", az.Function, "route", ro.op.Method+" "+ro.op.Path)
		e.auth = "missing-authorizer:deny"
		return nil, http.StatusForbidden, msgExplicitDeny
	}
	out, err := inv.Invoke(ctx, payload)
	var fe *FunctionError
	if errors.As(err, &fe) && fe.Message == msgUnauthorized {
		e.auth = "unauthorized"
		return nil, http.StatusUnauthorized, msgUnauthorized
	}
	if err != nil {
		// API Gateway answers this with the AUTHORIZER_FAILURE gateway
		// response (500 unless the template sets it).
		g.cfg.Log.Error("authorizer failed", "authorizer", az.Function, "err", err)
		e.auth = "failed"
		return nil, http.StatusInternalServerError, msgInternalError
	}
	var resp struct {
		PrincipalID    string         `json:"principalId"`
		PolicyDocument *policyDoc     `json:"policyDocument"`
		Context        map[string]any `json:"context"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.PolicyDocument == nil {
		g.cfg.Log.Error("authorizer returned no policy document", "authorizer", az.Function, "err", err)
		e.auth = "error"
		return nil, http.StatusInternalServerError, msgInternalError
	}
	switch resp.PolicyDocument.decide(methodARN) {
	case policyAllow:
		e.auth = "allow"
		if resp.Context == nil {
			resp.Context = map[string]any{}
		}
		resp.Context["principalId"] = resp.PrincipalID
		return resp.Context, 0, ""
	case policyDeny:
		// The context of a deny reaches only gateway responses
		// ($context.authorizer.* in ACCESS_DENIED), never the integration.
		e.auth = "deny"
		return resp.Context, http.StatusForbidden, msgExplicitDeny
	default:
		e.auth = "implicit-deny"
		return nil, http.StatusForbidden, msgImplicitDeny
	}
}

func singleHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = v[len(v)-1]
	}
	return out
}

// writeGatewayResponse answers with a REST API's customised gateway
// response. Header values that are not quoted literals are mappings:
// context.authorizer.<key> takes the authorizer's context value; in the
// body template $context.authorizer.<key> does (JSON-escaped here, so a
// value cannot break the body).
func writeGatewayResponse(w http.ResponseWriter, gr samtemplate.GatewayResponse, authCtx map[string]any) {
	value := func(key string) string {
		if v, ok := authCtx[key]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	for k, v := range gr.Headers {
		if key, ok := strings.CutPrefix(v, "context.authorizer."); ok {
			v = value(key)
		}
		w.Header().Set(k, v)
	}
	body := gr.Body
	for {
		i := strings.Index(body, "$context.authorizer.")
		if i < 0 {
			break
		}
		j := i + len("$context.authorizer.")
		k := j
		for k < len(body) && (body[k] == '_' || body[k] >= 'a' && body[k] <= 'z' || body[k] >= 'A' && body[k] <= 'Z' || body[k] >= '0' && body[k] <= '9') {
			k++
		}
		esc, _ := json.Marshal(value(body[j:k]))
		body = body[:i] + string(esc[1:len(esc)-1]) + body[k:]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(gr.StatusCode)
	io.WriteString(w, body)
}
