package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/infra/samtemplate"
)

// fakeAuthorizer stands in for functions/authorizer (written elsewhere):
// "Bearer good" is alice with write, "Bearer boom" fails, others are denied.
// TOKEN events: good -> Allow, wild -> Allow on a wildcard, deny -> Deny,
// bad -> the "Unauthorized" error, other -> Allow on another resource.
func fakeAuthorizer(t *testing.T, calls *int) Invoker {
	return InProcess(func(ctx context.Context, raw json.RawMessage) (any, error) {
		*calls++
		var probe struct{ Type, Version string }
		json.Unmarshal(raw, &probe)
		if probe.Type == "TOKEN" {
			var ev events.APIGatewayCustomAuthorizerRequest
			if err := strictDecode(raw, &ev); err != nil {
				t.Errorf("TOKEN event: %v", err)
			}
			policy := func(effect string, resource any) map[string]any {
				return map[string]any{
					"principalId": "alice",
					"policyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
						map[string]any{"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource},
					}},
					"context": map[string]any{"user": "alice", "role": "read"},
				}
			}
			switch ev.AuthorizationToken {
			case "Bearer good":
				return policy("Allow", []string{ev.MethodArn}), nil
			case "Bearer wild":
				return policy("Allow", "arn:aws:execute-api:us-east-1:000000000000:local/prod/POST/models/*"), nil
			case "Bearer deny":
				return policy("Deny", ev.MethodArn), nil
			case "Bearer bad":
				return nil, errors.New("Unauthorized")
			case "Bearer down":
				return nil, errors.New("authorization is temporarily unavailable")
			}
			return policy("Allow", "arn:aws:execute-api:us-east-1:000000000000:other/*"), nil
		}
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		if err := strictDecode(raw, &ev); err != nil {
			t.Errorf("authorizer event: %v", err)
		}
		if ev.Version != "2.0" || ev.Type != "REQUEST" || !strings.HasPrefix(ev.RouteArn, "arn:aws:execute-api:us-east-1:000000000000:local/prod/") {
			t.Errorf("authorizer event header: version %q type %q routeArn %q", ev.Version, ev.Type, ev.RouteArn)
		}
		switch ev.Headers["authorization"] {
		case "Bearer good":
			return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: map[string]any{"user": "alice", "role": "write"}}, nil
		case "Bearer boom":
			return nil, errors.New("table unreachable")
		}
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	})
}

func strictDecode(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// echoFunction answers with what it received.
func echoFunction(t *testing.T, calls *int) Invoker {
	return InProcess(func(ctx context.Context, raw json.RawMessage) (any, error) {
		*calls++
		var ev events.APIGatewayV2HTTPRequest
		if err := strictDecode(raw, &ev); err != nil {
			t.Errorf("HTTP event: %v", err)
		}
		body, _ := json.Marshal(map[string]any{
			"routeKey": ev.RouteKey, "path": ev.RawPath, "query": ev.RawQueryString, "params": ev.PathParameters,
			"authorizer": ev.RequestContext.Authorizer, "body": ev.Body, "base64": ev.IsBase64Encoded,
			"cookies": ev.Cookies, "header": ev.Headers["x-test"],
		})
		return events.APIGatewayV2HTTPResponse{
			StatusCode:        201,
			Headers:           map[string]string{"Content-Type": "application/json"},
			MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
			Cookies:           []string{"c1=v1; Path=/"},
			Body:              base64.StdEncoding.EncodeToString(body),
			IsBase64Encoded:   true,
		}, nil
	})
}

type fixture struct {
	gw                        *Gateway
	authCalls, fnCalls        int
	scanned                   chan []byte
	git, inference            *httptest.Server
	gitHeaders, inferenceSeen chan http.Header
}

func newFixture(t *testing.T, withAuthorizer bool) *fixture {
	t.Helper()
	tmpl, err := samtemplate.Load("testdata/synthetic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{scanned: make(chan []byte, 4), gitHeaders: make(chan http.Header, 4), inferenceSeen: make(chan http.Header, 4)}
	f.git = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("X-Path", r.URL.Path)
		f.gitHeaders <- h
		io.WriteString(w, "refs")
	}))
	t.Cleanup(f.git.Close)
	f.inference = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		h.Set("X-Path", r.Method+" "+r.URL.Path)
		f.inferenceSeen <- h
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(f.inference.Close)
	fns := map[string]Invoker{
		"EchoFunction": echoFunction(t, &f.fnCalls),
		"ScannerFunction": InvokerFunc(func(ctx context.Context, p []byte) ([]byte, error) {
			f.scanned <- p
			return []byte("null"), nil
		}),
	}
	if withAuthorizer {
		fns["AuthorizerFunction"] = fakeAuthorizer(t, &f.authCalls)
	}
	f.gw, err = New(Config{
		Template:   tmpl,
		Functions:  fns,
		Parameters: map[string]string{"GitBackendUrl": f.git.URL, "InferenceBackendUrl": f.inference.URL},
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func do(h http.Handler, method, target, auth string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	r.Header.Set("X-Test", "yes")
	r.Header.Set("Cookie", "a=1; b=2")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRouteMatching(t *testing.T) {
	f := newFixture(t, true)
	tests := []struct {
		method, path, wantRoute string
		wantParams              map[string]string
	}{
		{"GET", "/api/models/new", "GET /api/models/new", nil},
		{"GET", "/api/models/gpt", "GET /api/models/{name}", map[string]string{"name": "gpt"}},
		{"GET", "/api/models/a/b/c", "ANY /api/models/{proxy+}", map[string]string{"proxy": "a/b/c"}},
		{"DELETE", "/api/models/gpt", "ANY /api/models/{proxy+}", map[string]string{"proxy": "gpt"}},
		{"POST", "/api/things", "POST /api/things", nil},
		{"PUT", "/api/things", "ANY /api/things", nil},
		{"GET", "/api/models/a%2Fb", "GET /api/models/{name}", map[string]string{"name": "a/b"}},
		{"GET", "/api/nothing", "", nil},
		{"GET", "/api/models", "", nil},
		{"POST", "/api/health", "", nil},
	}
	for _, tt := range tests {
		rt, params := f.gw.hub.find(tt.method, tt.path)
		got := ""
		if rt != nil {
			got = rt.Key()
		}
		if got != tt.wantRoute {
			t.Errorf("%s %s: got route %q, want %q", tt.method, tt.path, got, tt.wantRoute)
			continue
		}
		for k, v := range tt.wantParams {
			if params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", tt.method, tt.path, k, params[k], v)
			}
		}
	}
}

func TestRealTemplateRoutes(t *testing.T) {
	tmpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gw, err := New(Config{Template: tmpl, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(gw.Warnings()) == 0 || !strings.Contains(gw.Warnings()[0], "AUTHORIZER MISSING") {
		t.Errorf("with no functions, want a loud authorizer warning first, got %q", gw.Warnings())
	}
	tests := []struct{ method, path, want string }{
		{"GET", "/api/health", "GET /api/health"},
		{"GET", "/alice/model.git/info/refs", "GET /{namespace}/{repo}/info/refs"},
		{"POST", "/alice/model.git/git-receive-pack", "POST /{namespace}/{repo}/git-receive-pack"},
		{"GET", "/no/such/route/here", ""},
	}
	for _, tt := range tests {
		rt, _ := gw.hub.find(tt.method, tt.path)
		got := ""
		if rt != nil {
			got = rt.Key()
		}
		if got != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestRouteCollisions(t *testing.T) {
	tests := []struct {
		name   string
		routes []samtemplate.Route
		ok     bool
	}{
		{"param names differ", []samtemplate.Route{{Method: "GET", Path: "/a/{x}"}, {Method: "GET", Path: "/a/{y}"}}, false},
		{"same key", []samtemplate.Route{{Method: "GET", Path: "/a"}, {Method: "GET", Path: "/a"}}, false},
		{"methods differ", []samtemplate.Route{{Method: "GET", Path: "/a"}, {Method: "POST", Path: "/a"}}, true},
		{"literal and param", []samtemplate.Route{{Method: "GET", Path: "/a/b"}, {Method: "GET", Path: "/a/{x}"}}, true},
		{"greedy not last", []samtemplate.Route{{Method: "GET", Path: "/a/{p+}/b"}}, false},
		{"no slash", []samtemplate.Route{{Method: "GET", Path: "a"}}, false},
	}
	for _, tt := range tests {
		err := CheckRoutes(tt.routes)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestHubAuthorizer(t *testing.T) {
	f := newFixture(t, true)
	h := f.gw.HubAPI()

	w := do(h, "GET", "/api/models/gpt?x=1&x=2", "Bearer good", nil)
	if w.Code != 201 {
		t.Fatalf("allowed: got %d %s, want 201", w.Code, w.Body)
	}
	var got struct {
		RouteKey, Path, Query string
		Params                map[string]string
		Authorizer            struct{ Lambda map[string]any }
		Cookies               []string
		Header                string
	}
	json.Unmarshal(w.Body.Bytes(), &got)
	if got.RouteKey != "GET /api/models/{name}" || got.Params["name"] != "gpt" || got.Query != "x=1&x=2" || got.Header != "yes" {
		t.Errorf("event: got %+v", got)
	}
	if got.Authorizer.Lambda["user"] != "alice" || got.Authorizer.Lambda["role"] != "write" {
		t.Errorf("authorizer context not passed through: %+v", got.Authorizer)
	}
	if len(got.Cookies) != 2 || got.Cookies[0] != "a=1" {
		t.Errorf("cookies: got %q", got.Cookies)
	}
	if w.Header().Values("X-Multi")[1] != "b" || w.Header().Get("Set-Cookie") != "c1=v1; Path=/" {
		t.Errorf("response headers: got %v", w.Header())
	}

	before := f.fnCalls
	if w := do(h, "GET", "/api/models/gpt", "Bearer nope", nil); w.Code != 403 || strings.TrimSpace(w.Body.String()) != `{"message":"Forbidden"}` {
		t.Errorf("denied: got %d %s, want 403 Forbidden", w.Code, w.Body)
	}
	if w := do(h, "GET", "/api/models/gpt", "Bearer boom", nil); w.Code != 500 || !strings.Contains(w.Body.String(), "Internal Server Error") {
		t.Errorf("authorizer error: got %d %s, want 500", w.Code, w.Body)
	}
	if f.fnCalls != before {
		t.Errorf("function called %d times after a denial", f.fnCalls-before)
	}

	authBefore := f.authCalls
	if w := do(h, "POST", "/api/open", "", []byte{0xff, 0x00, 0x01}); w.Code != 201 || !strings.Contains(w.Body.String(), `"base64":true`) {
		t.Errorf("Auth NONE with a binary body: got %d %s", w.Code, w.Body)
	}
	if f.authCalls != authBefore {
		t.Error("authorizer called for an Auth: NONE route")
	}
}

func TestNotFoundAndTooLarge(t *testing.T) {
	f := newFixture(t, true)
	h := f.gw.HubAPI()
	w := do(h, "GET", "/nowhere", "Bearer good", nil)
	if w.Code != 404 || strings.TrimSpace(w.Body.String()) != `{"message":"Not Found"}` || f.authCalls != 0 {
		t.Errorf("unknown route: got %d %s (authorizer calls %d), want 404 without calling anything", w.Code, w.Body, f.authCalls)
	}
	w = do(h, "POST", "/api/open", "", bytes.Repeat([]byte("a"), MaxBody+1))
	if w.Code != 413 || f.fnCalls != 0 {
		t.Errorf("oversized body: got %d (function calls %d), want 413", w.Code, f.fnCalls)
	}
}

func TestMissingAuthorizerDeniesAllButHealth(t *testing.T) {
	f := newFixture(t, false)
	if len(f.gw.Warnings()) == 0 || !strings.Contains(f.gw.Warnings()[0], "DENIED") {
		t.Fatalf("want a loud warning, got %q", f.gw.Warnings())
	}
	h := f.gw.HubAPI()
	if w := do(h, "GET", "/api/health", "", nil); w.Code != 201 {
		t.Errorf("health: got %d, want it let through", w.Code)
	}
	if w := do(h, "GET", "/api/models/gpt", "Bearer good", nil); w.Code != 403 {
		t.Errorf("other route: got %d, want 403", w.Code)
	}
}

func TestGitProxy(t *testing.T) {
	f := newFixture(t, true)
	h := f.gw.HubAPI()
	r := httptest.NewRequest("GET", "/alice/m.git/info/refs?service=git-upload-pack", nil)
	r.Header.Set("Authorization", "Bearer good")
	r.Header.Set("X-Trust-User", "mallory") // must be overwritten
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "refs" {
		t.Fatalf("git proxy: got %d %s", w.Code, w.Body)
	}
	got := <-f.gitHeaders
	if got.Get("X-Trust-User") != "alice" || got.Get("X-Path") != "/alice/m.git/info/refs" {
		t.Errorf("backend saw user %q path %q, want alice /alice/m.git/info/refs", got.Get("X-Trust-User"), got.Get("X-Path"))
	}
}

func TestInferenceTokenAuthorizer(t *testing.T) {
	f := newFixture(t, true)
	h := f.gw.InferenceAPI()
	tests := []struct {
		auth       string
		wantStatus int
		wantBody   string
	}{
		{"Bearer good", 200, `{"ok":true}`},
		{"Bearer wild", 200, `{"ok":true}`},
		{"Bearer deny", 403, `{"message":"User is not authorized to access this resource with an explicit deny"}`},
		{"Bearer other", 403, `{"message":"User is not authorized to access this resource"}`},
		{"Bearer bad", 401, `{"message":"Unauthorized"}`},
		{"Bearer down", 503, `{"message":"Service Unavailable"}`}, // AUTHORIZER_FAILURE gateway response
		{"", 401, `{"message":"Unauthorized"}`},
	}
	for _, tt := range tests {
		before := f.authCalls
		w := do(h, "POST", "/models/acme/tiny", tt.auth, []byte(`{"inputs":"hi"}`))
		if w.Code != tt.wantStatus || strings.TrimSpace(w.Body.String()) != tt.wantBody {
			t.Errorf("%q: got %d %s, want %d %s", tt.auth, w.Code, w.Body, tt.wantStatus, tt.wantBody)
		}
		if tt.auth == "" && f.authCalls != before {
			t.Error("authorizer called without an Authorization header")
		}
		if w.Code == 200 {
			seen := <-f.inferenceSeen
			if seen.Get("X-Trust-User") != "alice" || seen.Get("X-Path") != "POST /models/acme/tiny" || seen.Get("Authorization") != "" {
				t.Errorf("%q: backend saw user %q, %q, authorization %q", tt.auth, seen.Get("X-Trust-User"), seen.Get("X-Path"), seen.Get("Authorization"))
			}
		}
	}
	if w := do(h, "POST", "/models/acme/tiny", "Bearer down", nil); w.Header().Get("Retry-After") != "1" {
		t.Errorf("authorizer failure: Retry-After %q, want the template's 1", w.Header().Get("Retry-After"))
	}
	if w := do(h, "GET", "/models/acme/tiny", "Bearer good", nil); w.Code != 403 {
		t.Errorf("unknown method: got %d, want 403 Missing Authentication Token", w.Code)
	}
}

func TestS3WebhookInvokesScanner(t *testing.T) {
	f := newFixture(t, true)
	h := f.gw.Internal()
	if w := do(h, "POST", S3EventsPath, "", []byte(`{"Service":"S3","Event":"s3:TestEvent"}`)); w.Code != 200 {
		t.Fatalf("test event: got %d", w.Code)
	}
	fixture, err := os.ReadFile("../events/s3-object-created.json")
	if err != nil {
		t.Fatal(err)
	}
	if w := do(h, "POST", S3EventsPath, "", fixture); w.Code != 200 {
		t.Fatalf("event: got %d", w.Code)
	}
	select {
	case got := <-f.scanned:
		var ev events.S3Event
		if err := json.Unmarshal(got, &ev); err != nil || len(ev.Records) != 1 || ev.Records[0].EventName != "ObjectCreated:Put" {
			t.Errorf("scanner got %s (%v)", got, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("scanner not invoked")
	}
	// versitygw's spelling of the event name, outside the prefix filter: dropped.
	other := strings.Replace(strings.Replace(string(fixture), `"ObjectCreated:Put"`, `"s3:ObjectCreated:Put"`, 1), "lfs/acme", "tmp/acme", 1)
	do(h, "POST", S3EventsPath, "", []byte(other))
	f.gw.Wait()
	select {
	case got := <-f.scanned:
		t.Errorf("filtered record delivered: %s", got)
	default:
	}
}

func TestLambdaInvokeAPI(t *testing.T) {
	f := newFixture(t, true)
	h := f.gw.Internal()
	r := httptest.NewRequest("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3AScannerFunction/invocations", strings.NewReader(`{"Records":[]}`))
	r.Header.Set("X-Amz-Invocation-Type", "Event")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 202 {
		t.Fatalf("async: got %d, want 202", w.Code)
	}
	f.gw.Wait()
	if got := <-f.scanned; string(got) != `{"Records":[]}` {
		t.Errorf("async payload: got %s", got)
	}
	w = do(h, "POST", "/2015-03-31/functions/scanner/invocations", "", []byte(`{"x":1}`))
	if w.Code != 200 || w.Body.String() != "null" {
		t.Errorf("sync: got %d %s", w.Code, w.Body)
	}
	<-f.scanned
	w = do(h, "POST", "/2015-03-31/functions/AuthorizerFunction/invocations", "", []byte(`{"type":"TOKEN","authorizationToken":"Bearer bad","methodArn":"x"}`))
	if w.Code != 200 || w.Header().Get("X-Amz-Function-Error") == "" {
		t.Errorf("function error: got %d %v", w.Code, w.Header())
	}
	w = do(h, "POST", "/2015-03-31/functions/Nope/invocations", "", nil)
	if w.Code != 404 || w.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("unknown function: got %d %v", w.Code, w.Header())
	}
}

func TestHTTPInvoker(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != InvokePath {
			t.Errorf("path %s", r.URL.Path)
		}
		b, _ := io.ReadAll(r.Body)
		if string(b) == `"fail"` {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"Unauthorized","errorType":"errorString"}`)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	inv := NewHTTPInvoker(srv.URL)
	out, err := inv.Invoke(context.Background(), []byte(`{"a":1}`))
	if err != nil || string(out) != `{"a":1}` {
		t.Errorf("got %s %v", out, err)
	}
	_, err = inv.Invoke(context.Background(), []byte(`"fail"`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Message != "Unauthorized" {
		t.Errorf("got %v, want FunctionError Unauthorized", err)
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true},
		{"arn:a:*/POST/*", "arn:a:x/prod/POST/models/a/b", true},
		{"arn:a:x/prod/GET/*", "arn:a:x/prod/POST/models", false},
		{"arn:?", "arn:x", true},
		{"abc", "abcd", false},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestGitProxyStreamsLargeBodies: a push to the git integration larger
// than MaxBody, sent chunked (git does past http.postBuffer), reaches the
// git server whole (the path git takes on AWS has no 10 MB cap, see
// docs/git-server.md), while a function route still answers 413.
func TestGitProxyStreamsLargeBodies(t *testing.T) {
	f := newFixture(t, true)
	var got int64
	f.git.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got = n
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(f.gw.HubAPI())
	defer srv.Close()
	size := int64(MaxBody + 5<<20)
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("p"), 1<<20)
		for n := int64(0); n < size; n += int64(len(chunk)) {
			pw.Write(chunk[:min(int64(len(chunk)), size-n)])
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/alice/m.git/git-receive-pack", pr) // no length: chunked
	req.Header.Set("Authorization", "Bearer good")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || got != size {
		t.Fatalf("chunked push of %d bytes: got %d, backend read %d bytes", size, res.StatusCode, got)
	}
}
