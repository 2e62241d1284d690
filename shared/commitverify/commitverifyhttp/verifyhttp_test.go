package commitverifyhttp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"github.com/hubsec/trustlayer/shared/githook/githookhttp"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyddb"
	"github.com/hubsec/trustlayer/shared/commitverify/commitverifyhttp"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/principal/principaltest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// env is one table with the identity, keyring, repo and commitverify
// services over it, and the commits handler.
type env struct {
	t     *testing.T
	ids   *identity.Service
	box   mail.Outbox
	keys  *keyring.Service
	repos *repo.Service
	h     http.Handler
	git   *gittest.Env
}

func newEnv(t *testing.T) *env {
	t.Helper()
	tb := ddbtest.NewTable(t)
	store := identityddb.Store{Table: tb}
	box := mail.Outbox{Dir: t.TempDir()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	repos := &repo.Service{Store: repoddb.Store{Table: tb}, Orgs: orgddb.Store{Table: tb}, Audit: store, Log: log}
	svc := &commitverify.Service{Keys: keyringddb.Store{Table: tb}, Store: commitverifyddb.Store{Table: tb}, Repos: repos, Lookup: repos, Log: log}
	return &env{t: t, ids: &identity.Service{Store: store, Mailer: box, CodePepper: []byte("pepper")}, box: box,
		keys:  &keyring.Service{Store: keyringddb.Store{Table: tb}, Emails: store, Audit: store, Log: log},
		repos: repos, h: commitverifyhttp.Handler(svc, log, githookhttp.Guard{Key: testHookKey}), git: gittest.New(t)}
}

var codeRE = regexp.MustCompile(`code is (\d{8})`)

// user signs up name with a verified name@example.com and logs in.
func (e *env) user(name string) access.Caller {
	e.t.Helper()
	ctx := context.Background()
	email := name + "@example.com"
	if _, _, err := e.ids.Signup(ctx, identity.SignupInput{Username: name, Email: email, Password: "correct horse battery"}, "127.0.0.1"); err != nil {
		e.t.Fatalf("signup: %v", err)
	}
	msgs, err := e.box.Read(email)
	if err != nil || len(msgs) == 0 {
		e.t.Fatalf("no mail to %s: %v", email, err)
	}
	if err := e.ids.VerifyEmail(ctx, email, codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)[1], "127.0.0.1"); err != nil {
		e.t.Fatalf("verify email: %v", err)
	}
	secret, _, _, err := e.ids.Login(ctx, name, "correct horse battery", "127.0.0.1")
	if err != nil {
		e.t.Fatalf("login: %v", err)
	}
	c, err := e.ids.Authenticate(ctx, secret.Reveal())
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return c
}

// gpgKey makes an ed25519 signing key for name@example.com, uploads it to
// c's account and returns the gpg fingerprint and our key id.
func (e *env) gpgKey(c access.Caller) (fpr, id string) {
	e.t.Helper()
	fpr = e.git.GenKey(c.Username+" <"+c.Username+"@example.com>", "ed25519", "sign", "never", 0)
	k, err := e.keys.AddGPGKey(context.Background(), c, e.git.Export(fpr))
	if err != nil {
		e.t.Fatalf("upload GPG key: %v", err)
	}
	return fpr, k.ID
}

func (e *env) repo(c access.Caller, name string, requireSigned bool) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.repos.Create(ctx, c, repo.CreateInput{Name: name, Type: access.RepoModel}); err != nil {
		e.t.Fatalf("create repo: %v", err)
	}
	if requireSigned {
		if _, err := e.repos.UpdateSettings(ctx, c, access.RepoModel, c.Username, name, repo.SettingsChange{RequireSignedCommits: &requireSigned}); err != nil {
			e.t.Fatalf("require signed commits: %v", err)
		}
	}
}

func (e *env) do(c access.Caller, method, path string, body any) (int, string) {
	e.t.Helper()
	var s string
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		s = string(b)
	}
	return principaltest.Do(e.t, e.h, c, method, path, s)
}

func (e *env) verify(c access.Caller, path string, body any) commitverifyhttp.VerifyJSON {
	e.t.Helper()
	got, out := e.do(c, "POST", path, body)
	if got != 200 {
		e.t.Fatalf("POST %s: got %d %s, want 200", path, got, out)
	}
	var v commitverifyhttp.VerifyJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) record(c access.Caller, path string) (int, commitverifyhttp.RecordJSON) {
	e.t.Helper()
	got, out := e.do(c, "GET", path, nil)
	var r commitverifyhttp.RecordJSON
	if got == 200 {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			e.t.Fatal(err)
		}
	}
	return got, r
}

const base = "/api/models/alice/weights/commits"

func TestSignedCommitEndToEnd(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.repo(alice, "weights", false)
	fpr, keyID := e.gpgKey(alice)
	r := e.git.NewRepo("w", "sha1")
	id := r.Commit("Alice", "alice@example.com", gittest.Signer{Format: "openpgp", Key: fpr}, "first")
	raw := string(r.CatFile("commit", id))

	v := e.verify(alice, base+"/verify", map[string]any{"commits": []string{raw}})
	if len(v.Results) != 1 {
		t.Fatalf("results: got %+v", v.Results)
	}
	res := v.Results[0]
	if res.ObjectID != id || res.Status != "verified" || res.Reason != "valid" || res.SignerAccountID != alice.UserID ||
		res.AlreadyRecorded == nil || *res.AlreadyRecorded || res.Committer == nil || res.Committer.Email != "alice@example.com" || res.Author == nil {
		t.Fatalf("result: got %+v", res)
	}
	if !v.Push.Allowed || v.Push.RequireSignedCommits || len(v.Push.Rejected) != 0 {
		t.Fatalf("push: got %+v", v.Push)
	}

	got, rec := e.record(alice, base+"/"+id+"/verification")
	if got != 200 || rec.Status != "verified" || rec.AlreadyRecorded != nil {
		t.Fatalf("GET record: got %d %+v", got, rec)
	}
	// Anyone who can read the repo reads the record (public repo).
	if got, _ := e.record(access.Caller{}, base+"/"+id+"/verification"); got != 200 {
		t.Fatalf("anonymous GET: got %d", got)
	}

	// Removing the key does not rewrite history.
	if err := e.keys.DeleteGPGKey(context.Background(), alice, keyID); err != nil {
		t.Fatal(err)
	}
	if got, after := e.record(alice, base+"/"+id+"/verification"); got != 200 || after.Status != "verified" || !after.VerifiedAt.Equal(rec.VerifiedAt) {
		t.Fatalf("after key removal: got %d %+v", got, after)
	}
	// Submitting it again returns the first record, and says so.
	again := e.verify(alice, base+"/verify", map[string]any{"commits": []string{raw}})
	if a := again.Results[0]; a.Status != "verified" || a.AlreadyRecorded == nil || !*a.AlreadyRecorded || !a.VerifiedAt.Equal(rec.VerifiedAt) {
		t.Fatalf("re-submission: got %+v", a)
	}
	// A new commit by the removed key is unknown now.
	id2 := r.Commit("Alice", "alice@example.com", gittest.Signer{Format: "openpgp", Key: fpr}, "second")
	v2 := e.verify(alice, base+"/verify", map[string]any{"objects": []map[string]string{
		{"type": "commit", "raw": base64.StdEncoding.EncodeToString(r.CatFile("commit", id2)), "encoding": "base64", "id": id2},
	}})
	if res := v2.Results[0]; res.ObjectID != id2 || res.Status != "unverified" || res.Reason != "unknown_key" {
		t.Fatalf("commit by removed key: got %+v", res)
	}

	for _, tt := range []struct {
		path string
		want int
	}{
		{base + "/" + strings.Repeat("0", 40) + "/verification", 404},
		{base + "/xyz/verification", 400},
		{base + "/" + strings.Repeat("a", 41) + "/verification", 400},
		{"/api/models/alice/nope/commits/" + id + "/verification", 404},
	} {
		if got, _ := e.do(alice, "GET", tt.path, nil); got != tt.want {
			t.Errorf("GET %s: got %d, want %d", tt.path, got, tt.want)
		}
	}
}

func TestSSHSignedCommitAndTag(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.repo(alice, "weights", true)
	priv, pub := e.git.SSHKey("alice", "ed25519")
	proof := e.git.SSHSign(priv, signingkey.ProofNamespace, []byte(alice.UserID))
	if _, err := e.keys.AddSSHKey(context.Background(), alice, pub, "", proof); err != nil {
		t.Fatal(err)
	}
	s := gittest.Signer{Format: "ssh", Key: filepath.Join(e.git.Root, "alice.pub")}
	r := e.git.NewRepo("w", "sha256")
	id := r.Commit("Alice", "alice@example.com", s, "ssh signed")
	r.Git("Alice", "alice@example.com", s, "tag", "-s", "-m", "release", "v1")
	tagID := r.Git("Alice", "alice@example.com", gittest.Signer{}, "rev-parse", "v1")

	v := e.verify(alice, base+"/verify", map[string]any{
		"commits": []string{string(r.CatFile("commit", id))},
		"tags":    []string{string(r.CatFile("tag", tagID))},
	})
	for i, want := range []string{id, tagID} {
		if res := v.Results[i]; res.ObjectID != want || res.Status != "verified" || res.SignatureType != "ssh" || res.ObjectFormat != "sha256" {
			t.Errorf("result %d: got %+v", i, res)
		}
	}
	if !v.Push.Allowed || !v.Push.RequireSignedCommits {
		t.Fatalf("push: got %+v", v.Push)
	}
}

func TestRequireSignedCommitsRejectsUnsigned(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.repo(alice, "weights", true)
	fpr, _ := e.gpgKey(alice)
	r := e.git.NewRepo("w", "sha1")
	signed := r.Commit("Alice", "alice@example.com", gittest.Signer{Format: "openpgp", Key: fpr}, "signed")
	unsigned := r.Commit("Alice", "alice@example.com", gittest.Signer{}, "unsigned")
	signed2 := r.Commit("Alice", "alice@example.com", gittest.Signer{Format: "openpgp", Key: fpr}, "signed again")

	// A write token pushes (the authorizer allowed repo.write).
	tok := alice
	tok.Kind, tok.Role, tok.TokenID = access.KindUserToken, access.TokenWrite, "t1"
	v := e.verify(tok, base+"/verify", map[string]any{"commits": []string{
		string(r.CatFile("commit", signed)), string(r.CatFile("commit", unsigned)), string(r.CatFile("commit", signed2)),
	}})
	if v.Push.Allowed || !v.Push.RequireSignedCommits || len(v.Push.Rejected) != 1 {
		t.Fatalf("push: got %+v", v.Push)
	}
	if rj := v.Push.Rejected[0]; rj.ObjectID != unsigned || rj.Status != "unsigned" || rj.Reason != "unsigned" {
		t.Fatalf("rejected: got %+v", rj)
	}
	if !strings.Contains(v.Push.Message, unsigned) {
		t.Fatalf("message does not name %s: %q", unsigned, v.Push.Message)
	}
	if v.Results[0].Status != "verified" || v.Results[2].Status != "verified" {
		t.Fatalf("results: got %+v", v.Results)
	}
	// Anonymous callers are refused even if the route let them through.
	if got, _ := e.do(access.Caller{}, "POST", base+"/verify", map[string]any{"commits": []string{string(r.CatFile("commit", signed))}}); got != 401 {
		t.Fatalf("anonymous verify: got %d, want 401", got)
	}
}

func TestMalformedObjectsStoreNothing(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	e.repo(alice, "weights", false)
	fpr, _ := e.gpgKey(alice)
	r := e.git.NewRepo("w", "sha1")
	good := r.Commit("Alice", "alice@example.com", gittest.Signer{Format: "openpgp", Key: fpr}, "good")
	goodRaw := string(r.CatFile("commit", good))
	sigStart := strings.Index(goodRaw, "gpgsig ")
	sigEnd := strings.Index(goodRaw, "\n\n")
	dupSig := goodRaw[:sigEnd] + "\n" + goodRaw[sigStart:sigEnd] + goodRaw[sigEnd:]

	tests := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"garbage", map[string]any{"commits": []string{goodRaw, "hello world"}}, 400, "commits[1] is not a valid commit object"},
		{"truncated headers", map[string]any{"commits": []string{goodRaw[:60]}}, 400, "commits[0] is not a valid commit object: truncated"},
		{"duplicate signature", map[string]any{"commits": []string{goodRaw, dupSig}}, 400, "commits[1] is not a valid commit object: duplicate signature header"},
		{"tag sent as commit", map[string]any{"tags": []string{goodRaw}}, 400, "tags[0] is not a valid tag object"},
		{"unknown type", map[string]any{"objects": []map[string]string{{"type": "blob", "raw": "x"}}}, 400, `objects[0]: type \"blob\"`},
		{"bad base64", map[string]any{"objects": []map[string]string{{"type": "commit", "raw": "!!", "encoding": "base64"}}}, 400, "objects[0]: raw is not valid base64"},
		{"id mismatch", map[string]any{"objects": []map[string]string{{"type": "commit", "raw": goodRaw, "id": strings.Repeat("a", 40)}}}, 400, "hash to " + good},
		{"no objects", map[string]any{"commits": []string{}}, 400, "No objects"},
		{"not JSON", "commit", 400, "Expected a JSON object"},
		{"too many", map[string]any{"commits": make([]string, 101)}, 413, "limit 100"},
		{"too large", map[string]any{"commits": []string{strings.Repeat("x", 5<<20)}}, 413, "limit"},
		{"body over 6 MiB", map[string]any{"commits": []string{strings.Repeat("\x01", 2<<20)}}, 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out := e.do(alice, "POST", base+"/verify", tt.body)
			if got != tt.status || !strings.Contains(out, tt.want) {
				t.Fatalf("got %d %s, want %d containing %q", got, out, tt.status, tt.want)
			}
		})
	}
	// The good commit sent beside bad ones was not recorded.
	if got, _ := e.record(alice, base+"/"+good+"/verification"); got != 404 {
		t.Fatalf("record after refused batches: got %d, want 404", got)
	}
}
