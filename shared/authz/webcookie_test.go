package authz

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/token"
)

func cookieHeader(v string) http.Header {
	h := http.Header{}
	h.Set("Cookie", "theme=dark; "+SessionCookie+"="+v)
	return h
}

// samplePath fills a route pattern's parameters with plausible values.
func samplePath(pattern string) string {
	r := strings.NewReplacer("{namespace}", "alice", "{name}", "public-model", "{repo}", "public-model.git",
		"{org}", "acme", "{username}", "bob", "{id}", "abc", "{revision}", "main", "{rev}", "main",
		"{sha}", strings.Repeat("a", 40), "{path+}", "dir/weights.bin", "{file}", "app.css")
	return r.Replace(pattern)
}

// TestSessionCookieOnlyOnWebRoutes is the rule that keeps the JSON API
// free of CSRF: the session cookie is a credential on web pages and on
// nothing else.
func TestSessionCookieOnlyOnWebRoutes(t *testing.T) {
	f := newFixture(t)
	web := 0
	for _, r := range Table {
		q := ""
		if r.ServiceAction {
			q = "service=git-upload-pack"
		}
		out := f.a.Decide(context.Background(), Request{Method: r.Method, Path: samplePath(r.Pattern), Query: q, Header: cookieHeader(f.session)})
		if out.Route == nil || out.Route.Pattern != r.Pattern {
			t.Errorf("%s %s: matched %v", r.Method, samplePath(r.Pattern), out.Route)
			continue
		}
		got := out.Caller.Kind
		if r.Web {
			web++
			if !out.Allow || got != access.KindSession || out.Caller.Username != "alice" {
				t.Errorf("web %s %s with the cookie: allow %v, caller %v, want the session", r.Method, r.Pattern, out.Allow, got)
			}
		} else if got != access.KindAnonymous {
			t.Errorf("API %s %s with only the cookie: caller %v, want anonymous", r.Method, r.Pattern, got)
		}
	}
	if web == 0 {
		t.Fatal("no web routes in the table")
	}
}

func TestWebCookieEdges(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		header http.Header
		want   access.PrincipalKind
	}{
		{"session cookie", cookieHeader(f.session), access.KindSession},
		{"unknown session: anonymous, not refused", cookieHeader(mustToken(t, token.KindSession)), access.KindAnonymous},
		{"a user token in the cookie is not accepted", cookieHeader(f.writeTok), access.KindAnonymous},
		{"garbage", cookieHeader("%%%"), access.KindAnonymous},
		{"Authorization wins over the cookie", func() http.Header {
			h := cookieHeader(f.session)
			h.Set("Authorization", "Bearer "+f.readTok)
			return h
		}(), access.KindUserToken},
	}
	for _, tt := range tests {
		out := f.a.Decide(context.Background(), Request{Method: "GET", Path: "/settings/tokens", Header: tt.header})
		if !out.Allow || out.Caller.Kind != tt.want {
			t.Errorf("%s: allow %v caller %v, want allowed as %v", tt.name, out.Allow, out.Caller.Kind, tt.want)
		}
	}
}

// TestHandleEventReadsEventCookies: API Gateway puts cookies in the
// event's cookies field, not in its headers.
func TestHandleEventReadsEventCookies(t *testing.T) {
	f := newFixture(t)
	ev := events.APIGatewayV2CustomAuthorizerV2Request{Version: "2.0", Type: "REQUEST", RawPath: "/settings/tokens",
		Cookies: []string{"theme=dark", SessionCookie + "=" + f.session}, Headers: map[string]string{"accept": "text/html"}}
	ev.RequestContext.HTTP.Method = "GET"
	raw, _ := json.Marshal(ev)
	out, err := f.a.HandleEvent(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(HTTPAPISimpleResponse)
	if !resp.IsAuthorized || resp.Context["kind"] != "session" || resp.Context["user"] != "alice" {
		t.Fatalf("got %+v, want the session of the cookie", resp)
	}
	ev.RawPath = "/api/settings/tokens"
	raw, _ = json.Marshal(ev)
	out, _ = f.a.HandleEvent(context.Background(), raw)
	if resp := out.(HTTPAPISimpleResponse); resp.Context["decision"] != "deny" || resp.Context["status"] != "401" {
		t.Fatalf("API route with only the cookie: got %+v, want a 401 denial", resp)
	}
}

func TestGreedyWebPathParam(t *testing.T) {
	r, p, ok := Match(Table, "GET", "/alice/m/blob/main/dir/sub/weights.bin")
	if !ok || !r.Web || p["path"] != "dir/sub/weights.bin" || p["rev"] != "main" {
		t.Fatalf("got %v %v %v", r, p, ok)
	}
	if _, _, ok := Match(Table, "GET", "/alice/m/blob/main"); ok {
		t.Error("a greedy parameter matched nothing")
	}
	f := newFixture(t)
	for _, path := range []string{"/alice/m/blob/main/dir/../x", "/alice/m/blob/main/a//b", "/alice/m/blob/main/dir/%2e%2e/x",
		"/alice/m/blob/main/a%2F%2Fb", "/alice/m/blob/main/a%252Fb", "/alice/m/blob/main/a%zzb", "/%61lice/m/blob/main/x",
		"/alice/m/blob/..%2Fmain/x", "/alice/m/blob/main/a%00b"} {
		if out := f.a.Decide(context.Background(), Request{Method: "GET", Path: path, Header: http.Header{}}); out.Allow {
			t.Errorf("%s: allowed", path)
		}
	}
	// Revisions and file paths arrive percent-encoded from the Hub's
	// clients (a branch with '/', a file name with a space): judged decoded.
	for path, want := range map[string][2]string{
		"/alice/m/blob/refs%2Fpr%2F1/my%20file.txt": {"refs/pr/1", "my file.txt"},
		"/alice/m/blob/main/dir%2Fsub/a.bin":        {"main", "dir/sub/a.bin"},
	} {
		out := f.a.Decide(context.Background(), Request{Method: "GET", Path: path, Header: http.Header{}})
		if !out.Allow || out.Params["rev"] != want[0] || out.Params["path"] != want[1] {
			t.Errorf("%s: allowed %v with %v, want rev %q and path %q", path, out.Allow, out.Params, want[0], want[1])
		}
	}
}

// TestRepoPagesGetTheRepositoryFacts: a repository page is never refused
// by the authorizer (the page decides and answers its own error page), but
// it gets the repository's facts, from the same FactsTTL cache as the
// JSON routes, so that the page reads nothing to decide; a missing
// repository, the settings page and the other pages get none.
func TestRepoPagesGetTheRepositoryFacts(t *testing.T) {
	f := newFixture(t)
	f.w.repos["alice/public-model"] = access.RepoFacts{ID: "r1", Namespace: "alice", Name: "public-model", Owner: access.OwnerUser}
	f.w.repos["acme/secret"] = access.RepoFacts{ID: "r2", Namespace: "acme", Name: "secret", Private: true, Owner: access.OwnerOrg}
	for _, tt := range []struct {
		path  string
		h     http.Header
		facts string // the repository id passed on, "" for none
		role  access.OrgRole
	}{
		{"/alice/public-model", nil, "r1", ""},
		{"/alice/public-model/tree/main/dir/sub", nil, "r1", ""},
		{"/alice/public-model/blob/main/dir/w.bin", nil, "r1", ""},
		{"/alice/nothing-here", nil, "", ""},
		{"/alice/public-model/settings", nil, "", ""},
		{"/settings/tokens", nil, "", ""},
		{"/acme/secret", nil, "r2", ""},
		{"/acme/secret", cookieHeader(f.session), "r2", access.RoleWrite},
	} {
		out := f.a.Decide(context.Background(), Request{Method: "GET", Path: tt.path, Header: tt.h})
		got := ""
		if out.Caller.Repo != nil {
			got = out.Caller.Repo.Facts.ID
		}
		if !out.Allow || got != tt.facts || (out.Caller.Repo != nil && out.Caller.Repo.Role != tt.role) {
			t.Errorf("GET %s: allow %v, facts of %q (role %v), want allowed with %q (role %q)", tt.path, out.Allow, got, out.Caller.Repo, tt.facts, tt.role)
		}
	}
	// The second page of the same repository reads nothing: cached.
	before := f.w.calls
	f.a.Decide(context.Background(), Request{Method: "GET", Path: "/alice/public-model"})
	if f.w.calls != before {
		t.Errorf("a page within FactsTTL read the store %d times", f.w.calls-before)
	}
}
