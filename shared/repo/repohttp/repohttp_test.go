package repohttp_test

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
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/principal/principaltest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/repo/repohttp"
)

const publicURL = "https://hub.example"

type env struct {
	t     *testing.T
	table ddb.Table
	ids   identityddb.Store
	orgs  orgddb.Store
	svc   *repo.Service
	h     http.Handler
}

// newEnv creates a uniquely named table on DynamoDB Local (or skips).
func newEnv(t *testing.T) *env {
	t.Helper()
	tb := ddbtest.NewTable(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ids := identityddb.Store{Table: tb}
	svc := &repo.Service{Store: repoddb.Store{Table: tb}, Orgs: orgddb.Store{Table: tb}, Audit: ids, Log: log}
	return &env{t: t, table: tb, ids: ids, orgs: orgddb.Store{Table: tb}, svc: svc, h: repohttp.Handler(svc, log, publicURL)}
}

func (e *env) user(name string) access.Caller {
	e.t.Helper()
	u := identity.User{ID: randid.Hex(12), Name: name, CreatedAt: time.Now().UTC()}
	em := identity.Email{Address: strings.ToLower(name) + "@example.com", UserID: u.ID, Primary: true, AddedAt: u.CreatedAt}
	if err := e.ids.CreateUser(context.Background(), u, em); err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
	return access.Caller{Kind: access.KindSession, UserID: u.ID, Username: name}
}

// org creates an organization whose first admin is admin, with the other
// members given.
func (e *env) org(name string, admin access.Caller, members map[access.Caller]access.OrgRole) org.Org {
	e.t.Helper()
	ctx := context.Background()
	o := org.Org{ID: randid.Hex(12), Name: name, CreatedAt: time.Now().UTC()}
	if err := e.orgs.CreateOrg(ctx, o, org.Member{User: admin.Username, UserID: admin.UserID, Role: access.RoleAdmin}); err != nil {
		e.t.Fatal(err)
	}
	for c, role := range members {
		e.setRole(o, c, role)
	}
	return o
}

func (e *env) setRole(o org.Org, c access.Caller, role access.OrgRole) {
	e.t.Helper()
	ctx := context.Background()
	cur, err := e.orgs.Member(ctx, o.Name, c.Username)
	if err != nil && err != store.ErrNotFound {
		e.t.Fatal(err)
	}
	if err := e.orgs.PutMember(ctx, o, org.Member{User: c.Username, UserID: c.UserID, Role: role}, cur.Role, ""); err != nil {
		e.t.Fatal(err)
	}
}

func withRole(c access.Caller, kind access.PrincipalKind, role access.TokenRole) access.Caller {
	c.Kind, c.Role, c.TokenID = kind, role, "tok"
	return c
}

var anonymous = access.Caller{}

func (e *env) do(c access.Caller, method, path, body string) (int, string) {
	e.t.Helper()
	return principaltest.Do(e.t, e.h, c, method, path, body)
}

func (e *env) must(want int, c access.Caller, method, path, body string) string {
	e.t.Helper()
	got, out := e.do(c, method, path, body)
	if got != want {
		e.t.Fatalf("%s %s %s as %q: got %d %s, want %d", method, path, body, c.Username, got, out, want)
	}
	return out
}

type infoJSON struct {
	ID                    string `json:"id"`
	MongoID               string `json:"_id"`
	Author                string `json:"author"`
	Private               bool   `json:"private"`
	SHA                   *string
	Tags                  []string `json:"tags"`
	RequireSignedCommits  bool     `json:"requireSignedCommits"`
	SignedCommitsRequired bool     `json:"signedCommitsRequired"`
}

func (e *env) info(c access.Caller, path string) infoJSON {
	e.t.Helper()
	var v infoJSON
	if err := json.Unmarshal([]byte(e.must(200, c, "GET", path, "")), &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func errorOf(body string) string {
	var v struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &v)
	return v.Error
}

func TestCreateBodyShapes(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.org("acme", alice, nil)
	tests := []struct {
		name        string
		body        string
		wantURL     string
		wantPrivate bool
	}{
		{"huggingface_hub private", `{"name":"m1","organization":null,"private":true}`, "/alice/m1", true},
		{"huggingface_hub public", `{"name":"m2","organization":null,"private":false,"type":"model"}`, "/alice/m2", false},
		{"huggingface.js visibility private", `{"name":"m3","organization":"alice","type":"model","visibility":"private"}`, "/alice/m3", true},
		{"huggingface.js visibility public", `{"name":"m4","organization":"alice","type":"model","visibility":"public","license":"mit"}`, "/alice/m4", false},
		{"both, agreeing", `{"name":"m5","private":true,"visibility":"private"}`, "/alice/m5", true},
		{"default public", `{"name":"m6"}`, "/alice/m6", false},
		{"dataset in org", `{"name":"d1","organization":"acme","type":"dataset","private":true}`, "/datasets/acme/d1", true},
		{"space", `{"name":"s1","type":"space","sdk":"gradio","private":false,"hardware":null}`, "/spaces/alice/s1", false},
		{"96 characters", `{"name":"` + strings.Repeat("x", 96) + `"}`, "/alice/" + strings.Repeat("x", 96), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := e.do(alice, "POST", "/api/repos/create", tt.body)
			var v struct{ URL, Name, ID string }
			if code != 200 || json.Unmarshal([]byte(out), &v) != nil {
				t.Fatalf("got %d %s, want 200", code, out)
			}
			if v.URL != publicURL+tt.wantURL || v.Name != strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(tt.wantURL, "/datasets"), "/spaces"), "/") || len(v.ID) != 24 {
				t.Errorf("answer %s", out)
			}
			seg := "models"
			if strings.HasPrefix(tt.wantURL, "/datasets/") {
				seg = "datasets"
			} else if strings.HasPrefix(tt.wantURL, "/spaces/") {
				seg = "spaces"
			}
			got := e.info(alice, "/api/"+seg+"/"+v.Name)
			if got.Private != tt.wantPrivate || got.ID != v.Name || got.MongoID != v.ID || got.SHA != nil || got.Tags == nil {
				t.Errorf("info %+v, want private=%v", got, tt.wantPrivate)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"bert"}`)
	tests := []struct {
		name, method, path, body string
		want                     int
		msg                      string
	}{
		{"malformed", "POST", "/api/repos/create", `{"name":"x"`, 400, "Malformed JSON"},
		{"unknown field", "POST", "/api/repos/create", `{"name":"x","owner":"bob"}`, 400, `Unknown field "owner"`},
		{"private wrong type", "POST", "/api/repos/create", `{"name":"x","private":"yes"}`, 400, `"private" must be a boolean`},
		{"missing name", "POST", "/api/repos/create", `{"private":true}`, 400, "name is required"},
		{"too long", "POST", "/api/repos/create", `{"name":"` + strings.Repeat("x", 97) + `"}`, 400, "1 to 96"},
		{"slash in name", "POST", "/api/repos/create", `{"name":"alice/x"}`, 400, "may contain only"},
		{"bad type", "POST", "/api/repos/create", `{"name":"x","type":"notebook"}`, 400, "type must be"},
		{"contradiction", "POST", "/api/repos/create", `{"name":"x","private":false,"visibility":"private"}`, 400, "disagree"},
		{"bad visibility", "POST", "/api/repos/create", `{"name":"x","visibility":"protected"}`, 400, "visibility must be"},
		{"space without sdk", "POST", "/api/repos/create", `{"name":"x","type":"space"}`, 400, "sdk"},
		{"files", "POST", "/api/repos/create", `{"name":"x","files":[{"path":"a","content":"b"}]}`, 400, "files"},
		{"unknown org", "POST", "/api/repos/create", `{"name":"x","organization":"nowhere"}`, 404, "No user or organization"},
		{"long org", "POST", "/api/repos/create", `{"name":"x","organization":"` + strings.Repeat("o", 43) + `"}`, 400, "organization must be"},
		{"exists", "POST", "/api/repos/create", `{"name":"BERT"}`, 409, "You already created this model repo"},
		{"move bad from", "POST", "/api/repos/move", `{"fromRepo":"bert","toRepo":"alice/x"}`, 400, `fromRepo must be "namespace/name"`},
		{"move bad to", "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"alice/x/y"}`, 400, `toRepo must be`},
		{"move same", "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"alice/bert"}`, 400, "same"},
		{"move to unknown", "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"nowhere/bert"}`, 404, "No user or organization"},
		{"delete no name", "DELETE", "/api/repos/delete", `{"organization":"alice"}`, 400, "name is required"},
		{"settings empty", "PUT", "/api/models/alice/bert/settings", `{}`, 400, "Nothing to change"},
		{"settings unknown field", "PUT", "/api/models/alice/bert/settings", `{"gated":"auto"}`, 400, `Unknown field "gated"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := e.do(alice, tt.method, tt.path, tt.body)
			if got != tt.want || !strings.Contains(errorOf(body), tt.msg) {
				t.Errorf("got %d %s, want %d with %q", got, body, tt.want, tt.msg)
			}
		})
	}
	e.must(404, alice, "GET", "/api/models/alice/x", "")
}

func TestConcurrentCreatesOfOneName(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	const n = 20
	codes := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "bert"
			if i%2 == 1 {
				name = "Bert" // the same name to the hub
			}
			codes[i], bodies[i] = principaltest.Do(t, e.h, alice, "POST", "/api/repos/create", `{"name":"`+name+`","private":true}`)
		}()
	}
	wg.Wait()
	ok := 0
	for i, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			if errorOf(bodies[i]) != "You already created this model repo" {
				t.Errorf("409 body %s", bodies[i])
			}
		default:
			t.Errorf("request %d: got %d %s", i, c, bodies[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want 1", ok)
	}
}

func TestPrivateRepoVisibility(t *testing.T) {
	e := newEnv(t)
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	e.org("acme", alice, map[access.Caller]access.OrgRole{carol: access.RoleRead})
	e.org("zeta", bob, nil)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"secret","private":true}`)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"open"}`)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"internal","organization":"acme","private":true}`)
	acmeTok := access.Caller{Kind: access.KindOrgToken, Org: "acme"}
	zetaTok := access.Caller{Kind: access.KindOrgToken, Org: "zeta"}
	tests := []struct {
		name   string
		caller access.Caller
		path   string
		want   int
	}{
		{"owner, private", alice, "/api/models/alice/secret", 200},
		{"owner, other case", alice, "/api/models/Alice/SECRET", 200},
		{"anonymous, private", anonymous, "/api/models/alice/secret", 401},
		{"anonymous, missing", anonymous, "/api/models/alice/nothing", 401},
		{"anonymous, public", anonymous, "/api/models/alice/open", 200},
		{"stranger, private", bob, "/api/models/alice/secret", 404},
		{"stranger, missing", bob, "/api/models/alice/nothing", 404},
		{"stranger read token, private", withRole(bob, access.KindUserToken, access.TokenRead), "/api/models/alice/secret", 404},
		{"wrong type", alice, "/api/datasets/alice/secret", 404},
		{"org member, org private", carol, "/api/models/acme/internal", 200},
		{"org token, own org private", acmeTok, "/api/models/acme/internal", 200},
		{"other org token, org private", zetaTok, "/api/models/acme/internal", 404},
		{"org token, user private", acmeTok, "/api/models/alice/secret", 404},
		{"stranger, org private", bob, "/api/models/acme/internal", 404},
		{"bad name in path", bob, "/api/models/alice/" + strings.Repeat("x", 97), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := e.do(tt.caller, "GET", tt.path, ""); got != tt.want {
				t.Errorf("got %d %s, want %d", got, body, tt.want)
			}
		})
	}
	// A private repo and a missing one are indistinguishable.
	_, hidden := e.do(bob, "GET", "/api/models/alice/secret", "")
	_, missing := e.do(bob, "GET", "/api/models/alice/nothing", "")
	if hidden != missing {
		t.Errorf("private %s vs missing %s", hidden, missing)
	}
	_, hidden = e.do(anonymous, "GET", "/api/models/alice/secret", "")
	_, missing = e.do(anonymous, "GET", "/api/models/alice/nothing", "")
	if hidden != missing {
		t.Errorf("anonymous: private %s vs missing %s", hidden, missing)
	}
}

func TestMoveKeepsSettings(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.org("acme", bob, map[access.Caller]access.OrgRole{alice: access.RoleWrite})
	e.org("zeta", bob, map[access.Caller]access.OrgRole{alice: access.RoleRead})
	created := e.must(200, alice, "POST", "/api/repos/create", `{"name":"bert","private":true}`)
	e.must(200, alice, "PUT", "/api/models/alice/bert/settings", `{"requireSignedCommits":true}`)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"taken","organization":"acme"}`)
	before := e.info(alice, "/api/models/alice/bert")

	e.must(403, alice, "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"zeta/bert"}`)
	e.must(404, bob, "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"acme/bert"}`)
	e.must(404, alice, "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"acme/bert","type":"dataset"}`)
	if got, body := e.do(alice, "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"acme/taken"}`); got != 409 {
		t.Fatalf("move onto an existing repo: got %d %s, want 409", got, body)
	}
	out := e.must(200, alice, "POST", "/api/repos/move", `{"fromRepo":"alice/bert","toRepo":"acme/bert2"}`)
	if !strings.Contains(out, `"url":"`+publicURL+`/acme/bert2"`) || !strings.Contains(out, `"name":"acme/bert2"`) {
		t.Errorf("move answer %s", out)
	}
	after := e.info(alice, "/api/models/acme/bert2")
	if after.MongoID != before.MongoID || !strings.Contains(created, before.MongoID) || !after.Private || !after.RequireSignedCommits || after.Author != "acme" {
		t.Errorf("after move %+v, before %+v", after, before)
	}
	e.must(404, alice, "GET", "/api/models/alice/bert", "")
	// Case-only rename keeps the key.
	e.must(200, alice, "POST", "/api/repos/move", `{"fromRepo":"acme/bert2","toRepo":"acme/Bert2"}`)
	if got := e.info(alice, "/api/models/acme/bert2"); got.ID != "acme/Bert2" || got.MongoID != before.MongoID {
		t.Errorf("after case rename %+v", got)
	}
	// Audit on both owners.
	aliceEvents, _, err := e.ids.Audit(context.Background(), "user:"+alice.UserID, 50, "")
	if err != nil {
		t.Fatal(err)
	}
	acmeEvents, _, err := e.ids.Audit(context.Background(), "org:acme", 50, "")
	if err != nil {
		t.Fatal(err)
	}
	count := func(evs []audit.Event, typ string) int {
		n := 0
		for _, ev := range evs {
			if ev.Type == typ {
				n++
			}
		}
		return n
	}
	if count(aliceEvents, repo.EventCreated) != 1 || count(aliceEvents, repo.EventSettingsChanged) != 1 || count(aliceEvents, repo.EventMoved) != 1 {
		t.Errorf("alice's audit: %+v", aliceEvents)
	}
	if count(acmeEvents, repo.EventCreated) != 1 || count(acmeEvents, repo.EventMoved) != 2 {
		t.Errorf("acme's audit: %+v", acmeEvents)
	}
}

func TestDemotionRemovesWrite(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	acme := e.org("acme", alice, map[access.Caller]access.OrgRole{bob: access.RoleWrite})
	tok := withRole(bob, access.KindUserToken, access.TokenWrite)
	e.must(200, tok, "POST", "/api/repos/create", `{"name":"bert","organization":"acme","private":true}`)
	e.must(200, tok, "PUT", "/api/models/acme/bert/settings", `{"private":false}`)

	e.setRole(acme, bob, access.RoleRead) // the very next request sees it
	e.must(403, tok, "PUT", "/api/models/acme/bert/settings", `{"private":true}`)
	e.must(403, tok, "POST", "/api/repos/create", `{"name":"other","organization":"acme"}`)
	e.must(403, tok, "DELETE", "/api/repos/delete", `{"name":"bert","organization":"acme"}`)
	e.must(200, tok, "GET", "/api/models/acme/bert", "")

	e.must(200, alice, "PUT", "/api/models/acme/bert/settings", `{"private":true}`)
	if err := e.orgs.RemoveMember(context.Background(), acme, "bob", access.RoleRead, ""); err != nil {
		t.Fatal(err)
	}
	e.must(404, tok, "GET", "/api/models/acme/bert", "")
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"secret","private":true,"type":"dataset"}`)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"open"}`)
	tests := []struct {
		name   string
		caller access.Caller
		body   string
		want   int
	}{
		{"stranger, private", bob, `{"name":"secret","organization":"alice","type":"dataset"}`, 404},
		{"stranger, public", bob, `{"name":"open","organization":"alice"}`, 403},
		{"anonymous", anonymous, `{"name":"open","organization":"alice"}`, 401},
		{"read token", withRole(alice, access.KindUserToken, access.TokenRead), `{"name":"open","organization":null}`, 403},
		{"wrong type", alice, `{"name":"secret","organization":"alice"}`, 404},
		{"owner", alice, `{"name":"secret","organization":"alice","type":"dataset"}`, 200},
		{"owner again", alice, `{"name":"secret","organization":"alice","type":"dataset"}`, 404},
		{"owner, own namespace implied", withRole(alice, access.KindUserToken, access.TokenWrite), `{"name":"open"}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := e.do(tt.caller, "DELETE", "/api/repos/delete", tt.body); got != tt.want {
				t.Errorf("got %d %s, want %d", got, body, tt.want)
			}
		})
	}
	e.must(401, anonymous, "GET", "/api/models/alice/open", "")
	// The name is free again.
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"open"}`)
}

func TestGetEffectivePolicyAndFacts(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	acme := e.org("acme", alice, nil)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"bert","organization":"acme","private":true}`)
	e.must(200, alice, "POST", "/api/repos/create", `{"name":"mine"}`)
	ctx := context.Background()
	for _, tt := range []struct {
		name                   string
		ns, repo               string
		orgSetting             bool
		wantOwn, wantEffective bool
	}{
		{"org repo, org off", "acme", "bert", false, false, false},
		{"org repo, org on", "ACME", "BERT", true, false, true},
		{"user repo", "alice", "mine", true, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			on := tt.orgSetting
			if _, err := e.orgs.UpdateOrg(ctx, acme.Name, org.Change{RequireSignedCommits: &on}); err != nil {
				t.Fatal(err)
			}
			r, err := e.svc.Get(ctx, access.RepoModel, tt.ns, tt.repo)
			if err != nil {
				t.Fatal(err)
			}
			if r.RequireSignedCommits != tt.wantOwn || r.SignedCommitsRequired() != tt.wantEffective {
				t.Errorf("got own=%v effective=%v, want %v %v", r.RequireSignedCommits, r.SignedCommitsRequired(), tt.wantOwn, tt.wantEffective)
			}
		})
	}
	if _, err := e.svc.Get(ctx, access.RepoDataset, "acme", "bert"); err != store.ErrNotFound {
		t.Errorf("Get of a missing repo: got %v, want store.ErrNotFound", err)
	}
	facts := authz.JoinFacts(orgddb.Store{Table: e.table}, repoddb.Store{Table: e.table})
	f, found, err := facts.RepoFacts(ctx, access.RepoModel, "Acme", "bert")
	if err != nil || !found || !f.Private || f.Owner != access.OwnerOrg {
		t.Errorf("RepoFacts = %+v, %v, %v", f, found, err)
	}
	if _, found, err := facts.RepoFacts(ctx, access.RepoSpace, "acme", "bert"); err != nil || found {
		t.Errorf("RepoFacts of a missing repo: found=%v err=%v", found, err)
	}
	list, err := repoddb.Store{Table: e.table}.ReposOf(ctx, "acme")
	if err != nil || len(list) != 1 || list[0].FullName() != "acme/bert" {
		t.Errorf("ReposOf(acme) = %+v, %v", list, err)
	}
}
