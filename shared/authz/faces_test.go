package authz

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/principal"
)

type forwardFace struct {
	name string
	h    http.Handler
	r    *http.Request
}

// forwardFaces builds, for each forward-auth face, the request its gateway
// sends to ask about method and uri.
func forwardFaces(a *Authorizer, method, uri string) []forwardFace {
	ng := httptest.NewRequest("GET", "/auth/nginx", nil)
	ng.Header.Set("X-Original-Method", method)
	ng.Header.Set("X-Original-URI", uri)
	tr := httptest.NewRequest("GET", "/auth/traefik", nil)
	tr.Header.Set("X-Forwarded-Method", method)
	tr.Header.Set("X-Forwarded-Uri", uri)
	tr.Header.Set("X-Forwarded-Host", "hub.example.com")
	tr.Header.Set("X-Forwarded-Proto", "https")
	en := httptest.NewRequest(method, "/ext-authz"+uri, nil)
	return []forwardFace{{"nginx", a.NginxAuth(), ng}, {"traefik", a.TraefikAuth(), tr}, {"envoy", a.EnvoyAuth("/ext-authz"), en}}
}

// TestForwardAuthReadsOnlyItsGateway is the reviewer's attack: Traefik
// forwards the client's headers and sets only X-Forwarded-*, so a client
// that adds X-Original-Method: GET and X-Original-URI: /api/health to a push
// must not have the health check authorised instead.
func TestForwardAuthReadsOnlyItsGateway(t *testing.T) {
	f := newFixture(t)
	push := "/alice/private-model.git/git-receive-pack"
	spoof := func(r *http.Request) {
		r.Header.Set("Authorization", basic("x", f.otherWrite)) // bob may not push to alice's repo
		r.Header.Set("X-Original-Method", "GET")
		r.Header.Set("X-Original-URI", "/api/health")
		r.Header.Set("X-Forwarded-Method", "GET")
		r.Header.Set("X-Forwarded-Uri", "/api/health")
	}
	for _, fa := range forwardFaces(f.a, "POST", push) {
		switch fa.name {
		case "traefik": // Traefik overwrites X-Forwarded-*; the client's X-Original-* pass through
			fa.r.Header.Set("X-Original-Method", "GET")
			fa.r.Header.Set("X-Original-URI", "/api/health")
			fa.r.Header.Set("Authorization", basic("x", f.otherWrite))
		case "nginx": // nginx overwrites X-Original-*; the client's X-Forwarded-* pass through
			fa.r.Header.Set("X-Forwarded-Method", "GET")
			fa.r.Header.Set("X-Forwarded-Uri", "/api/health")
			fa.r.Header.Set("Authorization", basic("x", f.otherWrite))
		default:
			spoof(fa.r)
		}
		rec := httptest.NewRecorder()
		fa.h.ServeHTTP(rec, fa.r)
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: spoofed push answered %d, want 404 (bob cannot see alice's private repo)", fa.name, rec.Code)
		}
	}
	// No fallback: a face whose own headers are missing refuses, whatever
	// the other family says.
	for _, tt := range []struct {
		name string
		h    http.Handler
		set  []string
	}{
		{"nginx", f.a.NginxAuth(), []string{"X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/api/health"}},
		{"traefik", f.a.TraefikAuth(), []string{"X-Original-Method", "GET", "X-Original-URI", "/api/health"}},
	} {
		r := httptest.NewRequest("GET", "/auth", nil)
		r.Header.Set(tt.set[0], tt.set[1])
		r.Header.Set(tt.set[2], tt.set[3])
		rec := httptest.NewRecorder()
		tt.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s without its own headers: got %d, want 400", tt.name, rec.Code)
		}
	}
}

// TestForwardAuthSendsEveryTrustHeader: an allowed answer names every
// X-Trust-* header, empty when it does not apply, so that a gateway copying
// them replaces any a client sent (X-Trust-Org: acme from an anonymous
// caller must not reach the upstream).
func TestForwardAuthSendsEveryTrustHeader(t *testing.T) {
	f := newFixture(t)
	for _, fa := range forwardFaces(f.a, "GET", "/api/whoami-v2") {
		fa.r.Header.Set("Authorization", "Bearer "+f.readTok)
		rec := httptest.NewRecorder()
		fa.h.ServeHTTP(rec, fa.r)
		if rec.Code != 200 {
			t.Fatalf("%s: got %d", fa.name, rec.Code)
		}
		for _, name := range []string{"X-Trust-Decision", "X-Trust-Kind", "X-Trust-User-Id", "X-Trust-User", "X-Trust-Token-Id", "X-Trust-Role", "X-Trust-Org", "X-Trust-Repo-Id"} {
			if _, ok := rec.Header()[name]; !ok {
				t.Errorf("%s: allowed answer has no %s header", fa.name, name)
			}
		}
		if got := rec.Header().Get("X-Trust-Org"); got != "" {
			t.Errorf("%s: X-Trust-Org = %q, want empty", fa.name, got)
		}
		if got := rec.Header().Get("X-Trust-Token-Id"); got != "t1" {
			t.Errorf("%s: X-Trust-Token-Id = %q, want t1", fa.name, got)
		}
	}
}

// outageWorld answers every store call with a store outage.
type outageWorld struct{ fakeWorld }

var errOutage = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

func (w *outageWorld) Authenticate(context.Context, string) (access.Caller, error) {
	return access.Caller{}, errOutage
}

func (w *outageWorld) RepoFacts(context.Context, access.RepoType, string, string) (access.RepoFacts, bool, error) {
	return access.RepoFacts{}, false, errOutage
}

// TestServiceQueryIsReadOnce: git reads the last ?service=, and a parser
// that reads the first (or decodes differently) would authorise an
// upload-pack while git runs receive-pack.
func TestServiceQueryIsReadOnce(t *testing.T) {
	f := newFixture(t)
	h := http.Header{"Authorization": {basic("x", f.readTok)}}
	for _, q := range []string{
		"service=git-upload-pack&service=git-receive-pack",
		"service=git-upload-pack&%73ervice=git-receive-pack",
		"service=git-upload-pack&SERVICE=git-receive-pack",
		"service=git%2Dupload-pack",
		"%73ervice=git-upload-pack",
	} {
		got := f.a.Decide(context.Background(), Request{Method: "GET", Path: "/alice/private-model.git/info/refs", Query: q, Header: h})
		if statusOf(got) != http.StatusBadRequest {
			t.Errorf("?%s: got %d, want 400", q, statusOf(got))
		}
	}
	got := f.a.Decide(context.Background(), Request{Method: "GET", Path: "/alice/private-model.git/info/refs", Query: "service=git-upload-pack&x=1", Header: h})
	if !got.Allow {
		t.Errorf("plain service: got %v", got.Deny)
	}
}

// TestOutageIsNeverADenial: when the store is down the decision could not
// be made. Forward-auth answers 503 with Retry-After; the AWS faces fail
// (API Gateway answers 500 on the HTTP API, the AUTHORIZER_FAILURE gateway
// response, 503, on the REST API) instead of a 403 "explicit deny"; routes
// with a function of ours behind them get the 503 through the context.
func TestOutageIsNeverADenial(t *testing.T) {
	f := newFixture(t)
	a := &Authorizer{Auth: &outageWorld{*f.w}, Facts: &outageWorld{*f.w}}
	auth := basic("x", f.writeTok)
	push := "/alice/private-model.git/git-receive-pack"

	for _, fa := range forwardFaces(a, "POST", push) {
		fa.r.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		fa.h.ServeHTTP(rec, fa.r)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: got %d Retry-After=%q, want 503 with Retry-After", fa.name, rec.Code, rec.Header().Get("Retry-After"))
		}
	}

	ev := events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", RawPath: push, Headers: map[string]string{"authorization": auth}}
	ev.RequestContext.HTTP.Method = "POST"
	raw, _ := json.Marshal(ev)
	if res, err := a.HandleEvent(context.Background(), raw); !errors.Is(err, ErrUnavailable) {
		t.Errorf("HTTP API face, git route: got %+v, %v; want ErrUnavailable", res, err)
	}
	// A route with a function behind it: the function answers the 503.
	ev.RawPath = "/api/whoami-v2"
	ev.RequestContext.HTTP.Method = "GET"
	ev.Headers = map[string]string{"authorization": "Bearer " + f.readTok}
	raw, _ = json.Marshal(ev)
	res, err := a.HandleEvent(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	simple := res.(HTTPAPISimpleResponse)
	if _, deny := principal.FromContext(simple.Context); !simple.IsAuthorized || deny == nil || deny.Kind != apperr.Unavailable {
		t.Errorf("HTTP API face, function route: got %+v, want a deferred 503", simple)
	}

	tok := events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer " + f.readTok,
		MethodArn: "arn:aws:execute-api:us-east-1:1:api/prod/POST/models/alice/private-model"}
	raw, _ = json.Marshal(tok)
	if res, err := a.HandleEvent(context.Background(), raw); !errors.Is(err, ErrUnavailable) {
		t.Errorf("REST TOKEN face: got %+v, %v; want ErrUnavailable", res, err)
	}
}

func TestRESTRequestRepeatedService(t *testing.T) {
	f := newFixture(t)
	path := "/alice/private-model.git/info/refs"
	rq := events.APIGatewayCustomAuthorizerRequestTypeRequest{Type: "REQUEST", HTTPMethod: "GET", Path: path,
		Headers:                         map[string]string{"authorization": basic("x", f.readTok)},
		QueryStringParameters:           map[string]string{"service": "git-upload-pack"},
		MultiValueQueryStringParameters: map[string][]string{"service": {"git-receive-pack", "git-upload-pack"}},
		MethodArn:                       "arn:aws:execute-api:us-east-1:1:api/prod/GET" + path}
	raw, _ := json.Marshal(rq)
	out, err := f.a.HandleEvent(context.Background(), raw)
	res, _ := out.(RESTResponse)
	if err != nil || len(res.PolicyDocument.Statement) != 1 || res.PolicyDocument.Statement[0].Effect != "Deny" {
		t.Fatalf("repeated service: got %+v %v, want Deny", res, err)
	}
}

// TestLambdaShapesMatchAWS: the event and answer shapes declared in
// lambdaevents.go read what aws-lambda-go writes and write what it reads.
func TestLambdaShapesMatchAWS(t *testing.T) {
	in := events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", RawPath: "/p", RawQueryString: "a=b",
		Cookies: []string{"c=d"}, Headers: map[string]string{"h": "v"}}
	in.RequestContext.HTTP.Method, in.RequestContext.HTTP.Path, in.RequestContext.HTTP.SourceIP = "GET", "/p", "1.2.3.4"
	raw, _ := json.Marshal(in)
	var ours HTTPAPIRequest
	if err := json.Unmarshal(raw, &ours); err != nil || ours.RawPath != "/p" || ours.RawQueryString != "a=b" || ours.Cookies[0] != "c=d" ||
		ours.Headers["h"] != "v" || ours.RequestContext.HTTP.Method != "GET" || ours.RequestContext.HTTP.SourceIP != "1.2.3.4" {
		t.Errorf("HTTP API event: %+v, %v", ours, err)
	}
	rq := events.APIGatewayCustomAuthorizerRequestTypeRequest{Type: "REQUEST", MethodArn: "arn", Path: "/p", HTTPMethod: "POST",
		MultiValueQueryStringParameters: map[string][]string{"s": {"1", "2"}}}
	rq.RequestContext.Identity.SourceIP = "5.6.7.8"
	raw, _ = json.Marshal(rq)
	var ourRQ RESTRequestRequest
	if err := json.Unmarshal(raw, &ourRQ); err != nil || ourRQ.HTTPMethod != "POST" || ourRQ.RequestContext.Identity.SourceIP != "5.6.7.8" || len(ourRQ.MultiValueQueryStringParameters["s"]) != 2 {
		t.Errorf("REST REQUEST event: %+v, %v", ourRQ, err)
	}
	answer := RESTResponse{PrincipalID: "alice", Context: map[string]any{"k": "v"}, PolicyDocument: RESTPolicy{Version: "2012-10-17",
		Statement: []IAMStatement{{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{"arn"}}}}}
	raw, _ = json.Marshal(answer)
	var theirs events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(raw, &theirs); err != nil || theirs.PrincipalID != "alice" || theirs.PolicyDocument.Version != "2012-10-17" ||
		len(theirs.PolicyDocument.Statement) != 1 || theirs.PolicyDocument.Statement[0].Effect != "Allow" || theirs.Context["k"] != "v" {
		t.Errorf("REST answer as aws-lambda-go reads it: %+v, %v (%s)", theirs, err, raw)
	}
	theirRaw, _ := json.Marshal(events.APIGatewayCustomAuthorizerResponse{PrincipalID: "alice", Context: map[string]any{"k": "v"},
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{
			{Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{"arn"}}}}})
	if string(theirRaw) != string(raw) {
		t.Errorf("REST answer JSON differs:\n ours   %s\n theirs %s", raw, theirRaw)
	}
	simple, _ := json.Marshal(HTTPAPISimpleResponse{IsAuthorized: true, Context: map[string]any{"k": "v"}})
	theirSimple, _ := json.Marshal(events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{"k": "v"}})
	if string(simple) != string(theirSimple) {
		t.Errorf("simple answer JSON differs: %s vs %s", simple, theirSimple)
	}
}
