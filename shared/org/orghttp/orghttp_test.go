package orghttp_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/org/orghttp"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/principal/principaltest"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/token"
)

// env is one test's world: its own table, the handler and the stores.
type env struct {
	t     *testing.T
	table ddb.Table
	ids   identityddb.Store
	svc   *org.Service
	h     http.Handler
}

// newEnv creates a uniquely named table on DynamoDB Local (or skips).
func newEnv(t *testing.T) *env {
	t.Helper()
	tb := ddbtest.NewTable(t)
	ids := identityddb.Store{Table: tb}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := &org.Service{Store: orgddb.Store{Table: tb}, Users: ids, Audit: ids, Log: log}
	return &env{t: t, table: tb, ids: ids, svc: svc, h: orghttp.Handler(svc, log)}
}

// user signs up a user directly in the store and returns its session caller.
func (e *env) user(name string) access.Caller {
	e.t.Helper()
	u := identity.User{ID: randid.Hex(12), Name: name, CreatedAt: time.Now().UTC()}
	em := identity.Email{Address: strings.ToLower(name) + "@example.com", UserID: u.ID, Primary: true, AddedAt: u.CreatedAt}
	if err := e.ids.CreateUser(context.Background(), u, em); err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	return access.Caller{Kind: access.KindSession, UserID: u.ID, Username: name}
}

func writeToken(c access.Caller) access.Caller {
	c.Kind, c.Role, c.TokenID = access.KindUserToken, access.TokenWrite, "t1"
	return c
}

func readToken(c access.Caller) access.Caller {
	c.Kind, c.Role, c.TokenID = access.KindUserToken, access.TokenRead, "t2"
	return c
}

var anonymous = access.Caller{}

func (e *env) do(c access.Caller, method, path, body string) (int, string) {
	e.t.Helper()
	return principaltest.Do(e.t, e.h, c, method, path, body)
}

// must sends a request and fails the test unless it answers want.
func (e *env) must(want int, c access.Caller, method, path, body string) string {
	e.t.Helper()
	got, out := e.do(c, method, path, body)
	if got != want {
		e.t.Fatalf("%s %s as %q: got %d %s, want %d", method, path, c.Username, got, out, want)
	}
	return out
}

func errorOf(body string) string {
	var v struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &v)
	return v.Error
}

func TestCreateAndPublicProfile(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	out := e.must(201, alice, "POST", "/api/organizations", `{"name":"Acme","fullname":"Acme Corp","links":["https://acme.example"]}`)
	var p struct {
		Name, Fullname string
		Links          []string
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Name != "Acme" || p.Fullname != "Acme Corp" || len(p.Links) != 1 {
		t.Fatalf("create answer %s", out)
	}
	// Public, anonymous included, any letter case.
	out = e.must(200, anonymous, "GET", "/api/organizations/acme", "")
	if !strings.Contains(out, `"name":"Acme"`) || !strings.Contains(out, `"createdAt"`) {
		t.Errorf("profile %s", out)
	}
	e.must(404, anonymous, "GET", "/api/organizations/nobody", "")

	// The creator is admin.
	out = e.must(200, alice, "GET", "/api/organizations/Acme/members", "")
	if !strings.Contains(out, `"user":"alice","role":"admin"`) {
		t.Errorf("members %s", out)
	}

	tests := []struct {
		name   string
		caller access.Caller
		body   string
		want   int
	}{
		{"org name taken in other case", alice, `{"name":"ACME"}`, 409},
		{"user name taken", alice, `{"name":"alice"}`, 409},
		{"anonymous", anonymous, `{"name":"zeta"}`, 401},
		{"read token", readToken(alice), `{"name":"zeta"}`, 403},
		{"org token", access.Caller{Kind: access.KindOrgToken, Org: "Acme"}, `{"name":"zeta"}`, 403},
		{"write token", writeToken(alice), `{"name":"zeta"}`, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := e.do(tt.caller, "POST", "/api/organizations", tt.body); got != tt.want {
				t.Errorf("got %d %s, want %d", got, body, tt.want)
			}
		})
	}
	// A user cannot sign up with an org's name: one namespace.
	err := e.ids.CreateUser(context.Background(), identity.User{ID: randid.Hex(12), Name: "acme"},
		identity.Email{Address: "acme@example.com", UserID: "x"})
	if err == nil {
		t.Error("user sign-up with an organization's name succeeded")
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.user("bob")
	e.must(201, alice, "POST", "/api/organizations", `{"name":"acme"}`)
	long := strings.Repeat("a", 43)
	tests := []struct {
		name, method, path, body string
		want                     int
		msg                      string
	}{
		{"malformed json", "POST", "/api/organizations", `{"name":`, 400, "Malformed JSON"},
		{"unknown field", "POST", "/api/organizations", `{"name":"zeta","admins":["x"]}`, 400, `Unknown field "admins"`},
		{"wrong type", "POST", "/api/organizations", `{"name":42}`, 400, `"name" must be a string`},
		{"missing name", "POST", "/api/organizations", `{}`, 400, "organization name must be"},
		{"long name", "POST", "/api/organizations", `{"name":"` + long + `"}`, 400, "organization name must be"},
		{"bad chars", "POST", "/api/organizations", `{"name":"a b"}`, 400, "may contain only"},
		{"reserved", "POST", "/api/organizations", `{"name":"admin"}`, 400, "reserved"},
		{"bad link", "POST", "/api/organizations", `{"name":"zeta","links":["javascript:alert(1)"]}`, 400, "URL"},
		{"empty body", "POST", "/api/organizations", ``, 400, "empty"},
		{"bad role", "PUT", "/api/organizations/acme/members/bob", `{"role":"owner"}`, 400, "role must be"},
		{"missing role", "PUT", "/api/organizations/acme/members/bob", `{}`, 400, "role is required"},
		{"role wrong type", "PUT", "/api/organizations/acme/members/bob", `{"role":true}`, 400, `"role" must be a string`},
		{"unknown user", "PUT", "/api/organizations/acme/members/nobody", `{"role":"read"}`, 404, "No user named"},
		{"over-long username", "PUT", "/api/organizations/acme/members/" + long, `{"role":"read"}`, 400, "username must be"},
		{"unknown org", "PUT", "/api/organizations/nowhere/members/bob", `{"role":"read"}`, 404, "Organization not found"},
		{"remove non-member", "DELETE", "/api/organizations/acme/members/bob", ``, 404, "not a member"},
		{"empty profile update", "PUT", "/api/organizations/acme", `{}`, 400, "Nothing to change"},
		{"settings wrong type", "PUT", "/api/organizations/acme/settings", `{"requireSignedCommits":"yes"}`, 400, "must be a boolean"},
		{"settings missing", "PUT", "/api/organizations/acme/settings", `{}`, 400, "give requireSignedCommits (true or false), tokenPolicy, allowSecretsInPushes, allowServiceSignedCommits and/or requireSignedModels"},
		{"settings unknown token policy", "PUT", "/api/organizations/acme/settings", `{"tokenPolicy":"anything goes"}`, 400, "tokenPolicy must be"},
		{"audit bad limit", "GET", "/api/organizations/acme/audit?limit=0", ``, 400, "limit"},
		{"audit bad cursor", "GET", "/api/organizations/acme/audit?cursor=zzz", ``, 400, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := e.do(alice, tt.method, tt.path, tt.body)
			if got != tt.want || !strings.Contains(errorOf(body), tt.msg) {
				t.Errorf("got %d %s, want %d with %q", got, body, tt.want, tt.msg)
			}
		})
	}
	// Nothing half-written: zeta was never created, acme still has one member.
	e.must(404, anonymous, "GET", "/api/organizations/zeta", "")
	if out := e.must(200, alice, "GET", "/api/organizations/acme/members", ""); strings.Count(out, `"user"`) != 1 {
		t.Errorf("members after bad input: %s", out)
	}
}

func TestLastAdminUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	for i := range 5 {
		name := "race" + string(rune('a'+i))
		e.must(201, alice, "POST", "/api/organizations", `{"name":"`+name+`"}`)
		e.must(200, alice, "PUT", "/api/organizations/"+name+"/members/bob", `{"role":"admin"}`)

		// The two admins demote each other at the same moment.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		bodies := make([]string, 2)
		for j, step := range []struct {
			by     access.Caller
			target string
		}{{alice, "bob"}, {bob, "alice"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[j], bodies[j] = principaltest.Do(t, e.h, step.by, "PUT", "/api/organizations/"+name+"/members/"+step.target, `{"role":"write"}`)
			}()
		}
		wg.Wait()
		ok := 0
		for j, c := range codes {
			switch c {
			case 200:
				ok++
			case 403, 409:
			default:
				t.Fatalf("round %d request %d: got %d %s", i, j, c, bodies[j])
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d demotions succeeded (%v %v), want exactly 1", i, ok, bodies[0], bodies[1])
		}
		out := e.must(200, alice, "GET", "/api/organizations/"+name+"/members", "")
		if n := strings.Count(out, `"role":"admin"`); n != 1 {
			t.Fatalf("round %d: %d admins left: %s", i, n, out)
		}
		admin, other := alice, bob
		if strings.Contains(out, `"user":"bob","role":"admin"`) {
			admin, other = bob, alice
		}
		// The last admin can neither leave, nor be removed, nor demote themself.
		got, body := e.do(admin, "DELETE", "/api/organizations/"+name+"/members/"+admin.Username, "")
		if got != 409 || !strings.Contains(errorOf(body), "at least one admin") {
			t.Errorf("last admin leaves: got %d %s, want 409", got, body)
		}
		if got, body := e.do(admin, "PUT", "/api/organizations/"+name+"/members/"+admin.Username, `{"role":"read"}`); got != 409 {
			t.Errorf("last admin demotes self: got %d %s, want 409", got, body)
		}
		// The other one, now a writer, may leave.
		e.must(204, other, "DELETE", "/api/organizations/"+name+"/members/"+other.Username, "")
	}
}

func TestConcurrentLeaveOfTwoAdmins(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.must(201, alice, "POST", "/api/organizations", `{"name":"acme"}`)
	e.must(200, alice, "PUT", "/api/organizations/acme/members/bob", `{"role":"admin"}`)
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for j, c := range []access.Caller{alice, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[j], _ = principaltest.Do(t, e.h, c, "DELETE", "/api/organizations/acme/members/"+c.Username, "")
		}()
	}
	wg.Wait()
	if !(codes[0] == 204 && codes[1] == 409 || codes[0] == 409 && codes[1] == 204) {
		t.Fatalf("both admins leave at once: got %v, want one 204 and one 409", codes)
	}
}

func TestDemotionRemovesWriteOnNextDecide(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.must(201, alice, "POST", "/api/organizations", `{"name":"acme"}`)
	e.must(200, alice, "PUT", "/api/organizations/acme/members/bob", `{"role":"write"}`)
	facts := authz.JoinFacts(orgddb.Store{Table: e.table}, repoddb.Store{Table: e.table})
	repo := access.Repo("acme", "bert", access.RepoModel, true, access.OwnerOrg)
	decide := func() access.Decision {
		role, err := facts.OrgRole(context.Background(), "acme", "bob")
		if err != nil {
			t.Fatal(err)
		}
		return access.Decide(writeToken(bob).Principal(map[string]access.OrgRole{"acme": role}), access.RepoWrite, repo)
	}
	if d := decide(); !d.Allow {
		t.Fatalf("writer: got %+v, want allow", d)
	}
	e.must(200, alice, "PUT", "/api/organizations/acme/members/bob", `{"role":"read"}`)
	if d := decide(); d.Allow || d.Kind != apperr.Permission {
		t.Errorf("after demotion to read: got %+v, want 403", d)
	}
	e.must(204, alice, "DELETE", "/api/organizations/acme/members/bob", "")
	if d := decide(); d.Allow || d.Kind != apperr.NotExist {
		t.Errorf("after removal: got %+v, want 404", d)
	}
}

func TestMembersLeaveAndRights(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	e.must(201, alice, "POST", "/api/organizations", `{"name":"acme"}`)
	out := e.must(200, alice, "PUT", "/api/organizations/acme/members/Carol", `{"role":"read"}`)
	if !strings.Contains(out, `"user":"carol","role":"read"`) {
		t.Errorf("add member answer %s", out)
	}
	orgTok := access.Caller{Kind: access.KindOrgToken, Org: "acme"}
	tests := []struct {
		name   string
		caller access.Caller
		method string
		path   string
		body   string
		want   int
	}{
		{"member reads members", carol, "GET", "/api/organizations/acme/members", "", 200},
		{"org token reads members", orgTok, "GET", "/api/organizations/acme/members", "", 200},
		{"stranger reads members", bob, "GET", "/api/organizations/acme/members", "", 403},
		{"anonymous reads members", anonymous, "GET", "/api/organizations/acme/members", "", 401},
		{"reader adds member", carol, "PUT", "/api/organizations/acme/members/bob", `{"role":"read"}`, 403},
		{"reader updates profile", carol, "PUT", "/api/organizations/acme", `{"fullname":"x"}`, 403},
		{"reader reads settings", carol, "GET", "/api/organizations/acme/settings", "", 200},
		{"reader changes settings", carol, "PUT", "/api/organizations/acme/settings", `{"requireSignedCommits":true}`, 403},
		{"reader reads audit", carol, "GET", "/api/organizations/acme/audit", "", 403},
		{"admin read token updates profile", readToken(alice), "PUT", "/api/organizations/acme", `{"fullname":"x"}`, 403},
		{"admin write token updates profile", writeToken(alice), "PUT", "/api/organizations/acme", `{"fullname":"Acme"}`, 200},
		{"reader removes admin", carol, "DELETE", "/api/organizations/acme/members/alice", "", 403},
		{"reader leaves with read token", readToken(carol), "DELETE", "/api/organizations/acme/members/carol", "", 403},
		{"reader leaves", carol, "DELETE", "/api/organizations/acme/members/carol", "", 204},
		{"former member reads members", carol, "GET", "/api/organizations/acme/members", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := e.do(tt.caller, tt.method, tt.path, tt.body); got != tt.want {
				t.Errorf("got %d %s, want %d", got, body, tt.want)
			}
		})
	}
	out = e.must(200, alice, "PUT", "/api/organizations/acme/settings", `{"requireSignedCommits":true}`)
	if !strings.Contains(out, `"requireSignedCommits":true`) {
		t.Errorf("settings %s", out)
	}

	out = e.must(200, alice, "GET", "/api/organizations/acme/audit", "")
	for _, ev := range []string{org.EventCreated, org.EventMemberAdded, org.EventMemberLeft, org.EventProfileUpdated, org.EventSettingsChanged} {
		if !strings.Contains(out, `"type":"`+ev+`"`) {
			t.Errorf("audit lacks %s: %s", ev, out)
		}
	}

	// whoami's directory.
	list, err := e.svc.OrgsOf(context.Background(), "alice")
	if err != nil || len(list) != 1 || list[0].Org != "acme" || list[0].Role != "admin" || list[0].Fullname != "Acme" || list[0].OrgID == "" {
		t.Errorf("OrgsOf(alice) = %+v, %v", list, err)
	}
	if list, err := e.svc.OrgsOf(context.Background(), "carol"); err != nil || len(list) != 0 {
		t.Errorf("OrgsOf(carol) = %+v, %v, want none", list, err)
	}
}

func TestOrgToken(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.must(201, alice, "POST", "/api/organizations", `{"name":"Acme"}`)
	e.must(200, alice, "PUT", "/api/organizations/acme/members/bob", `{"role":"write"}`)
	facts := authz.JoinFacts(orgddb.Store{Table: e.table}, repoddb.Store{Table: e.table})
	resolve := func(secret string) (string, bool) {
		org, found, err := facts.OrgByTokenHash(context.Background(), token.Hash(secret))
		if err != nil {
			t.Fatal(err)
		}
		return org, found
	}
	e.must(404, alice, "GET", "/api/organizations/acme/token", "")
	e.must(403, writeToken(alice), "POST", "/api/organizations/acme/token/refresh", "")
	e.must(403, bob, "POST", "/api/organizations/acme/token/refresh", "")

	refresh := func() string {
		out := e.must(200, alice, "POST", "/api/organizations/acme/token/refresh", "")
		var v struct{ Token, Hint string }
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		if k, err := token.Parse(v.Token); err != nil || k != token.KindOrg || v.Hint != token.Hint(v.Token) {
			t.Fatalf("refresh answer %s", out)
		}
		return v.Token
	}
	first := refresh()
	if org, found := resolve(first); !found || org != "Acme" {
		t.Fatalf("first token resolves to %q, %v", org, found)
	}
	second := refresh()
	if _, found := resolve(first); found {
		t.Error("the old token still resolves after refresh")
	}
	if org, found := resolve(second); !found || org != "Acme" {
		t.Errorf("new token resolves to %q, %v", org, found)
	}
	out := e.must(200, bob, "GET", "/api/organizations/acme/token", "")
	if strings.Contains(out, second) || !strings.Contains(out, token.Hint(second)) {
		t.Errorf("token metadata %s", out)
	}
	e.must(403, writeToken(alice), "DELETE", "/api/organizations/acme/token", "")
	e.must(204, alice, "DELETE", "/api/organizations/acme/token", "")
	if _, found := resolve(second); found {
		t.Error("a revoked token still resolves")
	}
	e.must(404, alice, "GET", "/api/organizations/acme/token", "")
	e.must(404, alice, "DELETE", "/api/organizations/acme/token", "")
	out = e.must(200, alice, "GET", "/api/organizations/acme/audit", "")
	if strings.Count(out, org.EventTokenRefreshed) != 2 || !strings.Contains(out, org.EventTokenRevoked) {
		t.Errorf("audit %s", out)
	}
	// Stored in plaintext nowhere: the profile holds the hash only.
	o, err := orgddb.Store{Table: e.table}.OrgByName(context.Background(), "acme")
	if err != nil || o.Token.Hash != "" {
		t.Errorf("profile after revoke: %+v, %v", o.Token, err)
	}
}

func TestConcurrentRefreshKeepsOneToken(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.must(201, alice, "POST", "/api/organizations", `{"name":"acme"}`)
	var wg sync.WaitGroup
	tokens := make([]string, 4)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out := principaltest.Do(t, e.h, alice, "POST", "/api/organizations/acme/token/refresh", "")
			if code == 200 {
				var v struct{ Token string }
				_ = json.Unmarshal([]byte(out), &v)
				tokens[i] = v.Token
			}
		}()
	}
	wg.Wait()
	live := 0
	for _, s := range tokens {
		if s == "" {
			continue
		}
		if _, found, _ := (authz.JoinFacts(orgddb.Store{Table: e.table}, repoddb.Store{Table: e.table})).OrgByTokenHash(context.Background(), token.Hash(s)); found {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d tokens resolve after concurrent refreshes, want 1", live)
	}
}
