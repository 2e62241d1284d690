package authz

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"gopkg.in/yaml.v3"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/token"
)

// fakeWorld is an in-memory Facts and Authenticator: the authorizer's
// decision logic is tested here; the DynamoDB adapters are tested against
// DynamoDB Local in their own packages and end to end through the gateway.
type fakeWorld struct {
	tokens   map[string]access.Caller    // secret -> caller
	roles    map[string]access.OrgRole   // org/user -> role
	repos    map[string]access.RepoFacts // ns/name -> facts
	orgToks  map[string]string           // hash -> org
	failNext bool
	calls    int
}

func (w *fakeWorld) Authenticate(_ context.Context, secret string) (access.Caller, error) {
	w.calls++
	if w.failNext {
		return access.Caller{}, errors.New("store timeout")
	}
	if c, ok := w.tokens[secret]; ok {
		return c, nil
	}
	return access.Caller{}, identity.ErrBadCredential
}

func (w *fakeWorld) OrgRole(_ context.Context, org, user string) (access.OrgRole, error) {
	w.calls++
	return w.roles[org+"/"+user], nil
}

func (w *fakeWorld) RepoFacts(_ context.Context, _ access.RepoType, ns, name string) (access.RepoFacts, bool, error) {
	w.calls++
	f, ok := w.repos[ns+"/"+name]
	return f, ok, nil
}

func (w *fakeWorld) OrgByTokenHash(_ context.Context, hash string) (string, bool, error) {
	w.calls++
	o, ok := w.orgToks[hash]
	return o, ok, nil
}

func mustToken(t *testing.T, k token.Kind) string {
	s, err := token.Generate(k)
	if err != nil {
		t.Fatal(err)
	}
	return s.Reveal()
}

type fixture struct {
	w                                  *fakeWorld
	a                                  *Authorizer
	readTok, writeTok, session, orgTok string
	otherWrite                         string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{readTok: mustToken(t, token.KindUser), writeTok: mustToken(t, token.KindUser),
		session: mustToken(t, token.KindSession), orgTok: mustToken(t, token.KindOrg), otherWrite: mustToken(t, token.KindUser)}
	f.w = &fakeWorld{
		tokens: map[string]access.Caller{
			f.readTok:    {Kind: access.KindUserToken, UserID: "u1", Username: "alice", TokenID: "t1", Role: access.TokenRead},
			f.writeTok:   {Kind: access.KindUserToken, UserID: "u1", Username: "alice", TokenID: "t2", Role: access.TokenWrite},
			f.session:    {Kind: access.KindSession, UserID: "u1", Username: "alice"},
			f.otherWrite: {Kind: access.KindUserToken, UserID: "u2", Username: "bob", TokenID: "t3", Role: access.TokenWrite},
		},
		roles: map[string]access.OrgRole{"acme/alice": access.RoleWrite},
		repos: map[string]access.RepoFacts{
			"alice/private-model": {Private: true, Owner: access.OwnerUser},
			"alice/public-model":  {Private: false, Owner: access.OwnerUser},
			"acme/secret":         {Private: true, Owner: access.OwnerOrg},
		},
		orgToks: map[string]string{token.Hash(f.orgTok): "acme"},
	}
	f.a = &Authorizer{Auth: f.w, Facts: f.w}
	return f
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// cases shared by the three faces.
type authCase struct {
	name, method, path, query, auth string
	want                            int // 200 allowed, else the denial status
}

func (f *fixture) cases() []authCase {
	return []authCase{
		{"health is public", "GET", "/api/health", "", "", 200},
		{"whoami without credentials", "GET", "/api/whoami-v2", "", "", 401},
		{"whoami with read token", "GET", "/api/whoami-v2", "", "Bearer " + f.readTok, 200},
		{"whoami with a forged token", "GET", "/api/whoami-v2", "", "Bearer hf_" + strings.Repeat("a", 34), 401},
		{"public repo anonymous", "GET", "/api/models/alice/public-model", "", "", 200},
		{"private repo anonymous", "GET", "/api/models/alice/private-model", "", "", 401},
		{"private repo other user", "GET", "/api/models/alice/private-model", "", "Bearer " + f.otherWrite, 404},
		{"private repo owner read token", "GET", "/api/models/alice/private-model", "", "Bearer " + f.readTok, 200},
		{"missing repo", "GET", "/api/models/alice/nothing", "", "Bearer " + f.readTok, 404},
		{"clone private with read token (basic)", "GET", "/alice/private-model.git/info/refs", "service=git-upload-pack", basic("hf_user", f.readTok), 200},
		{"push with read token", "GET", "/alice/private-model.git/info/refs", "service=git-receive-pack", basic("x", f.readTok), 403},
		{"push with write token", "POST", "/alice/private-model.git/git-receive-pack", "", basic("x", f.writeTok), 200},
		{"git with a real password", "GET", "/alice/public-model.git/info/refs", "service=git-upload-pack", basic("alice", "hunter2"), 401},
		{"malformed basic auth", "GET", "/api/whoami-v2", "", "Basic !!!", 400},
		{"token management with a token", "GET", "/api/settings/tokens", "", "Bearer " + f.writeTok, 403},
		{"token management with a session", "GET", "/api/settings/tokens", "", "Bearer " + f.session, 200},
		{"audit log with a read token", "GET", "/api/settings/audit", "", "Bearer " + f.readTok, 403},
		{"audit log with a session", "GET", "/api/settings/audit", "", "Bearer " + f.session, 200},
		{"org repo write member push", "POST", "/acme/secret.git/git-receive-pack", "", basic("x", f.writeTok), 200},
		{"org token reads org repo", "GET", "/api/models/acme/secret", "", "Bearer " + f.orgTok, 200},
		{"org token cannot push", "POST", "/acme/secret.git/git-receive-pack", "", basic("x", f.orgTok), 403},
		{"org admin action by write member", "PUT", "/api/organizations/acme/members/bob", "", "Bearer " + f.session, 403},
		{"unknown route", "GET", "/api/nothing/here", "", "", 404},
		{"dot segment", "GET", "/api/models/alice/../x", "", "", 400},
		{"encoded slash", "GET", "/api/models/alice%2Fx/y", "", "", 400},
		{"oversized authorization", "GET", "/api/whoami-v2", "", "Bearer " + strings.Repeat("x", 5000), 400},
		{"inference with read token", "POST", "/models/alice/private-model", "", "Bearer " + f.readTok, 200},
		{"inference anonymous on private", "POST", "/models/alice/private-model", "", "", 401},
	}
}

func statusOf(o Outcome) int {
	if o.Allow {
		return 200
	}
	return httpapi.Status(o.Deny.Kind)
}

func TestDecide(t *testing.T) {
	f := newFixture(t)
	for _, tt := range f.cases() {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.auth != "" {
				h.Set("Authorization", tt.auth)
			}
			got := f.a.Decide(context.Background(), Request{Method: tt.method, Path: tt.path, Query: tt.query, Header: h})
			if statusOf(got) != tt.want {
				t.Fatalf("got %d (%v), want %d", statusOf(got), got.Deny, tt.want)
			}
		})
	}
}

func TestGitPasswordMessage(t *testing.T) {
	f := newFixture(t)
	h := http.Header{"Authorization": {basic("alice", "hunter2")}}
	got := f.a.Decide(context.Background(), Request{Method: "GET", Path: "/alice/public-model.git/info/refs", Query: "service=git-upload-pack", Header: h})
	if got.Allow || apperr.Public(got.Deny) != GitPasswordMessage {
		t.Fatalf("got %v, want the Hub's git password message", got.Deny)
	}
}

func TestMalformedTokenTouchesNoStore(t *testing.T) {
	f := newFixture(t)
	h := http.Header{"Authorization": {"Bearer hf_" + strings.Repeat("Q", 34)}}
	f.w.calls = 0
	got := f.a.Decide(context.Background(), Request{Method: "GET", Path: "/api/whoami-v2", Header: h})
	if got.Allow || f.w.calls != 0 {
		t.Fatalf("got allow=%v with %d store calls, want deny with 0", got.Allow, f.w.calls)
	}
}

func TestStoreFailureDenies(t *testing.T) {
	f := newFixture(t)
	f.w.failNext = true
	h := http.Header{"Authorization": {"Bearer " + f.readTok}}
	got := f.a.Decide(context.Background(), Request{Method: "GET", Path: "/api/whoami-v2", Header: h})
	if got.Allow || got.Deny.Kind != apperr.Unavailable {
		t.Fatalf("got %v, want a 503 denial (fail closed)", got.Deny)
	}
}

func TestDemotionTakesWriteAway(t *testing.T) {
	f := newFixture(t)
	h := http.Header{"Authorization": {basic("x", f.writeTok)}}
	req := Request{Method: "POST", Path: "/acme/secret.git/git-receive-pack", Header: h}
	if got := f.a.Decide(context.Background(), req); !got.Allow {
		t.Fatalf("write member push: got %v", got.Deny)
	}
	f.w.roles["acme/alice"] = access.RoleRead
	if got := f.a.Decide(context.Background(), req); got.Allow || statusOf(got) != 403 {
		t.Fatalf("after demotion: got %d, want 403", statusOf(got))
	}
}

// TestFaces runs the same cases through the HTTP API, REST REQUEST and
// forward-auth faces and checks each answers in its own format.
func TestFaces(t *testing.T) {
	f := newFixture(t)
	for _, tt := range f.cases() {
		t.Run(tt.name, func(t *testing.T) {
			headers := map[string]string{}
			if tt.auth != "" {
				headers["authorization"] = tt.auth
			}
			// HTTP API 2.0.
			ev := events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", RawPath: tt.path, RawQueryString: tt.query, Headers: headers}
			ev.RequestContext.HTTP.Method = tt.method
			raw, _ := json.Marshal(ev)
			res, err := f.a.HandleEvent(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			simple := res.(HTTPAPISimpleResponse)
			gotHTTP := 403
			if simple.IsAuthorized {
				_, deny := principal.FromContext(simple.Context)
				gotHTTP = 200
				if deny != nil {
					gotHTTP = httpapi.Status(deny.Kind)
				}
			}
			want := tt.want
			if route, _, ok := Match(Table, tt.method, tt.path); want != 200 && (!ok || (route.Proxy && want != 401) || want == 403) {
				want = 403 // the gateway itself can only say 403
			}
			if gotHTTP != want {
				t.Errorf("HTTP API face: got %d, want %d", gotHTTP, want)
			}
			// REST REQUEST.
			rq := events.APIGatewayCustomAuthorizerRequestTypeRequest{Type: "REQUEST", HTTPMethod: tt.method, Path: tt.path, Headers: headers,
				MethodArn: "arn:aws:execute-api:us-east-1:1:api/prod/" + tt.method + tt.path}
			raw, _ = json.Marshal(rq)
			res, err = f.a.HandleEvent(context.Background(), raw)
			if tt.query == "" { // REST events carry parsed query parameters; skip the git info/refs rows
				switch {
				case tt.want == 401:
					if !errors.Is(err, ErrUnauthorized) {
						t.Errorf("REST face: got %v, want Unauthorized", err)
					}
				case tt.want == 200:
					if err != nil || res.(RESTResponse).PolicyDocument.Statement[0].Effect != "Allow" {
						t.Errorf("REST face: got %+v %v, want Allow", res, err)
					}
				default:
					if err != nil || res.(RESTResponse).PolicyDocument.Statement[0].Effect != "Deny" {
						t.Errorf("REST face: got %+v %v, want Deny", res, err)
					}
				}
			}
			// Forward auth: nginx, Traefik, Envoy.
			uri := tt.path
			if tt.query != "" {
				uri += "?" + tt.query
			}
			for _, fa := range forwardFaces(f.a, tt.method, uri) {
				if tt.auth != "" {
					fa.r.Header.Set("Authorization", tt.auth)
				}
				rec := httptest.NewRecorder()
				fa.h.ServeHTTP(rec, fa.r)
				if rec.Code != tt.want {
					t.Errorf("%s face: got %d, want %d (%s)", fa.name, rec.Code, tt.want, rec.Body)
				}
				if rec.Code == 200 && tt.auth != "" && rec.Header().Get("X-Trust-Kind") == "" {
					t.Errorf("%s face: no X-Trust-Kind header on allow", fa.name)
				}
			}
		})
	}
}

// TestTableMatchesTemplate fails when a route of template.yaml has no entry
// in the route table (it would be decided as "Not Found") or the reverse.
func TestTableMatchesTemplate(t *testing.T) {
	raw, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				RouteKey string `yaml:"RouteKey"`
				Events   map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						Method string `yaml:"Method"`
						Path   string `yaml:"Path"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	inTemplate := map[string]bool{}
	for _, r := range doc.Resources {
		for _, ev := range r.Properties.Events {
			if ev.Type == "HttpApi" {
				inTemplate[ev.Properties.Method+" "+ev.Properties.Path] = true
			}
		}
		if r.Type == "AWS::ApiGatewayV2::Route" {
			inTemplate[r.Properties.RouteKey] = true
		}
	}
	inTable := map[string]bool{}
	for _, r := range Table {
		inTable[r.Method+" "+r.Pattern] = true
	}
	for k := range inTemplate {
		if !inTable[k] {
			t.Errorf("template route %q has no entry in authz.Table", k)
		}
	}
	for _, r := range Table {
		k := r.Method + " " + r.Pattern
		if !inTemplate[k] && !(r.Proxy && strings.HasPrefix(r.Pattern, "/models/")) {
			t.Errorf("authz.Table route %q is not in template.yaml", k)
		}
	}
}
