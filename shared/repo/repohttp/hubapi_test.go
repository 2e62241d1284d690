package repohttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/principal"
)

type answer struct {
	status int
	body   string
	header http.Header
}

// doH is do with the response headers, and an optional authorizer denial
// deferred to the function as the authorizer sends it.
func (e *env) doH(c access.Caller, deny bool, method, path, body string) answer {
	e.t.Helper()
	raw, query, _ := strings.Cut(path, "?")
	lambda := principal.Context(c, nil)
	if deny {
		// What the authorizer defers for a repo the caller cannot read.
		typ := access.RepoModel
		res := access.Repo("nobody", "nothing", typ, true, access.OwnerUser)
		lambda = principal.Context(c, access.Decide(c.Principal(nil), access.RepoRead, res).Err())
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: raw, RawQueryString: query, Body: body,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-" + randid.Hex(4),
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: raw, SourceIP: "203.0.113.7"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: lambda},
		},
	}
	if query != "" {
		q, _ := url.ParseQuery(query)
		ev.QueryStringParameters = map[string]string{}
		for k := range q {
			ev.QueryStringParameters[k] = q.Get(k)
		}
	}
	res, err := httpadapter.NewV2(e.h).ProxyWithContext(context.Background(), ev)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	h := http.Header{}
	for k, v := range res.Headers {
		h.Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return answer{res.StatusCode, res.Body, h}
}

// TestCreateTwiceCarriesURL: create_repo(exist_ok=True) reads "url" from
// the 409 answer.
func TestCreateTwiceCarriesURL(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice" + randid.Hex(3))
	body := `{"name":"twice","type":"dataset"}`
	e.must(200, alice, "POST", "/api/repos/create", body)
	a := e.doH(alice, false, "POST", "/api/repos/create", body)
	var v struct{ Error, URL string }
	_ = json.Unmarshal([]byte(a.body), &v)
	want := publicURL + "/datasets/" + alice.Username + "/twice"
	if a.status != 409 || v.URL != want || v.Error == "" {
		t.Fatalf("second create: got %d %s, want 409 with url %s", a.status, a.body, want)
	}
	if a.header.Get("X-Error-Message") != v.Error {
		t.Errorf("X-Error-Message %q, want %q", a.header.Get("X-Error-Message"), v.Error)
	}
}

// TestRepoNotFoundCode: every answer that hides a repository carries
// X-Error-Code: RepoNotFound, from the function and from a denial the
// authorizer deferred to it.
func TestRepoNotFoundCode(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"+randid.Hex(3)), e.user("bob"+randid.Hex(3))
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"secret","private":true}`)
	secret := "/api/models/" + alice.Username + "/secret"
	tests := []struct {
		name   string
		c      access.Caller
		deny   bool
		method string
		path   string
		body   string
		status int
	}{
		{"missing", bob, false, "GET", "/api/models/" + bob.Username + "/nothing", "", 404},
		{"private to another user", bob, false, "GET", secret, "", 404},
		{"private to anonymous", anonymous, false, "GET", secret, "", 401},
		{"revision of private", bob, false, "GET", secret + "/revision/main", "", 404},
		{"auth-check of private", bob, false, "GET", secret + "/auth-check", "", 404},
		{"auth-check anonymous", anonymous, false, "GET", secret + "/auth-check", "", 401},
		{"settings of private", bob, false, "PUT", secret + "/settings", `{"private":false}`, 404},
		{"delete of missing", bob, false, "DELETE", "/api/repos/delete", `{"name":"nothing"}`, 404},
		{"deferred by the authorizer", bob, true, "GET", secret, "", 404},
		{"deferred by the authorizer, anonymous", anonymous, true, "GET", secret, "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := e.doH(tt.c, tt.deny, tt.method, tt.path, tt.body)
			if a.status != tt.status || a.header.Get("X-Error-Code") != "RepoNotFound" || a.header.Get("X-Error-Message") == "" {
				t.Errorf("got %d X-Error-Code %q X-Error-Message %q, want %d RepoNotFound", a.status,
					a.header.Get("X-Error-Code"), a.header.Get("X-Error-Message"), tt.status)
			}
		})
	}
	// Other errors carry a message but no repository code.
	a := e.doH(alice, false, "POST", "/api/repos/create", `{"name":"secret"}`)
	if a.status != 409 || a.header.Get("X-Error-Code") != "" {
		t.Errorf("conflict: got %d X-Error-Code %q, want 409 without a code", a.status, a.header.Get("X-Error-Code"))
	}
	// The owner reads it, by revision and auth-check too.
	for _, p := range []string{secret, secret + "/revision/HEAD", secret + "/revision/refs%2Fpr%2F1", secret + "/auth-check"} {
		e.must(200, alice, "GET", p, "")
	}
}

func TestSettingsVisibility(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice" + randid.Hex(3))
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"vis","type":"space","sdk":"static"}`)
	p := "/api/spaces/" + alice.Username + "/vis"
	e.must(200, alice, "PUT", p+"/settings", `{"visibility":"private"}`)
	if !e.info(alice, p).Private {
		t.Fatal("visibility private did not make the space private")
	}
	e.must(200, alice, "PUT", p+"/settings", `{"visibility":"public"}`)
	if e.info(alice, p).Private {
		t.Fatal("visibility public did not make the space public")
	}
	e.must(400, alice, "PUT", p+"/settings", `{"visibility":"internal"}`)
	e.must(400, alice, "PUT", p+"/settings", `{"visibility":"public","private":true}`)
}

func TestListByAuthor(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"+randid.Hex(3)), e.user("bob"+randid.Hex(3))
	o := e.org("org"+randid.Hex(3), alice, nil)
	for _, b := range []string{
		`{"name":"a-public"}`, `{"name":"b-private","private":true}`, `{"name":"c-public"}`, `{"name":"d-data","type":"dataset"}`,
	} {
		e.must(200, alice, "POST", "/api/repos/create", b)
	}
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"org-private","organization":"`+o.Name+`","private":true}`)
	names := func(c access.Caller, path string) ([]string, string) {
		t.Helper()
		a := e.doH(c, false, "GET", path, "")
		if a.status != 200 {
			t.Fatalf("GET %s: %d %s", path, a.status, a.body)
		}
		var v []struct {
			ID      string `json:"id"`
			Private bool   `json:"private"`
		}
		if err := json.Unmarshal([]byte(a.body), &v); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range v {
			out = append(out, x.ID)
		}
		return out, a.header.Get("Link")
	}
	au := alice.Username
	tests := []struct {
		c    access.Caller
		path string
		want string
	}{
		{alice, "/api/models?author=" + au, au + "/a-public " + au + "/b-private " + au + "/c-public"},
		{bob, "/api/models?author=" + au, au + "/a-public " + au + "/c-public"},
		{anonymous, "/api/models?author=" + au, au + "/a-public " + au + "/c-public"},
		{alice, "/api/datasets?author=" + au, au + "/d-data"},
		{alice, "/api/models?author=" + au + "&search=PRIV", au + "/b-private"},
		{alice, "/api/models?author=" + o.Name, o.Name + "/org-private"},
		{bob, "/api/models?author=" + o.Name, ""},
		{bob, "/api/models?author=nosuchuser" + randid.Hex(3), ""},
	}
	for _, tt := range tests {
		got, _ := names(tt.c, tt.path)
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s as %q: got %v, want %s", tt.path, tt.c.Username, got, tt.want)
		}
	}
	// Pages of one, following Link.
	var all []string
	next := "/api/models?author=" + au + "&limit=1"
	for i := 0; next != "" && i < 10; i++ {
		got, link := names(alice, next)
		all = append(all, got...)
		next = ""
		if link != "" {
			u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
			if err != nil || !strings.HasPrefix(link, "<"+publicURL+"/api/models?") {
				t.Fatalf("Link %q", link)
			}
			next = u.RequestURI()
		}
	}
	if strings.Join(all, " ") != au+"/a-public "+au+"/b-private "+au+"/c-public" {
		t.Errorf("paged: got %v", all)
	}
	e.must(400, alice, "GET", "/api/models?author="+au+"&limit=x", "")
}

// TestListPublic: without an author, the public repositories of every
// namespace, kept in step with create, visibility changes, moves and
// deletes, paged by Link.
func TestListPublic(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"+randid.Hex(3)), e.user("bob"+randid.Hex(3))
	tag := randid.Hex(4) // this test's names, among other tests' public repos
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"pub-`+tag+`"}`)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"priv-`+tag+`","private":true}`)
	e.must(200, bob, "POST", "/api/repos/create", `{"name":"bobs-`+tag+`"}`)
	e.must(200, bob, "POST", "/api/repos/create", `{"name":"data-`+tag+`","type":"dataset"}`)
	list := func(c access.Caller, path string) []string {
		t.Helper()
		var all []string
		for i := 0; path != "" && i < 50; i++ {
			a := e.doH(c, false, "GET", path, "")
			if a.status != 200 {
				t.Fatalf("GET %s: %d %s", path, a.status, a.body)
			}
			var v []struct {
				ID      string `json:"id"`
				Private bool   `json:"private"`
			}
			if err := json.Unmarshal([]byte(a.body), &v); err != nil {
				t.Fatal(err)
			}
			for _, x := range v {
				if x.Private {
					t.Fatalf("private repo %s in a public list", x.ID)
				}
				all = append(all, x.ID)
			}
			path = ""
			if link := a.header.Get("Link"); link != "" {
				u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
				if err != nil {
					t.Fatalf("Link %q", link)
				}
				path = u.RequestURI()
			}
		}
		return all
	}
	want := func(got []string, names ...string) {
		t.Helper()
		if strings.Join(got, " ") != strings.Join(names, " ") {
			t.Errorf("got %v, want %v", got, names)
		}
	}
	q := "/api/models?search=" + tag + "&limit=1"
	want(list(anonymous, q), alice.Username+"/pub-"+tag, bob.Username+"/bobs-"+tag)
	want(list(alice, "/api/datasets?search="+tag), bob.Username+"/data-"+tag)

	e.must(200, alice, "PUT", "/api/models/"+alice.Username+"/priv-"+tag+"/settings", `{"visibility":"public"}`)
	e.must(200, alice, "PUT", "/api/models/"+alice.Username+"/pub-"+tag+"/settings", `{"private":true}`)
	want(list(anonymous, q), alice.Username+"/priv-"+tag, bob.Username+"/bobs-"+tag)

	e.must(200, bob, "POST", "/api/repos/move", `{"fromRepo":"`+bob.Username+`/bobs-`+tag+`","toRepo":"`+bob.Username+`/moved-`+tag+`"}`)
	e.must(200, alice, "DELETE", "/api/repos/delete", `{"name":"priv-`+tag+`"}`)
	want(list(anonymous, q), bob.Username+"/moved-"+tag)
}
