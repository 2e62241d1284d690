package keyringhttp_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/keyring/keyringddb"
	"github.com/hubsec/trustlayer/shared/keyring/keyringhttp"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/principal/principaltest"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

type env struct {
	t    *testing.T
	ids  *identity.Service
	box  mail.Outbox
	keys keyringddb.Store
	h    http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	tb := ddbtest.NewTable(t)
	store := identityddb.Store{Table: tb}
	box := mail.Outbox{Dir: t.TempDir()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys := keyringddb.Store{Table: tb}
	svc := &keyring.Service{Store: keys, Emails: store, Audit: store, Log: log}
	return &env{t: t, ids: &identity.Service{Store: store, Mailer: box, CodePepper: []byte("pepper")}, box: box, keys: keys,
		h: keyringhttp.Handler(svc, log)}
}

var codeRE = regexp.MustCompile(`code is (\d{8})`)

// user signs up name with name@example.com, verifies the email from the
// outbox, logs in and returns the session caller.
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
	m := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)
	if m == nil {
		e.t.Fatalf("no code in mail")
	}
	if err := e.ids.VerifyEmail(ctx, email, m[1], "127.0.0.1"); err != nil {
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

// do sends a request through the API Gateway v2 adapter with c as the
// authorizer's context, as Lambda would.
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

func (e *env) must(want int, c access.Caller, method, path string, body any) string {
	e.t.Helper()
	got, out := e.do(c, method, path, body)
	if got != want {
		e.t.Fatalf("%s %s: got %d %s, want %d", method, path, got, out, want)
	}
	return out
}

func TestGPGKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	alice, bob := e.user("alice"), e.user("bob")
	// Three user ids: alice's verified email, bob's (a shared key), and
	// one nobody holds.
	fpr := g.GenKey("Alice <alice@example.com>", "ed25519", "default", "never", 0)
	g.GPG(0, "--quick-add-uid", fpr, "Alice Work <alice@work.example>")
	g.GPG(0, "--quick-add-uid", fpr, "Bob <bob@example.com>")
	g.AddSubkey(fpr, "cv25519", "encr", "never", 0)
	armored := g.Export(fpr)

	var k struct {
		ID     string `json:"id"`
		KeyID  string `json:"key_id"`
		Emails []struct {
			Email    string `json:"email"`
			Verified bool   `json:"verified"`
		} `json:"emails"`
		Subkeys []struct {
			KeyID           string `json:"key_id"`
			CanEncryptComms bool   `json:"can_encrypt_comms"`
		} `json:"subkeys"`
		CanSign bool   `json:"can_sign"`
		RawKey  string `json:"raw_key"`
	}
	out := e.must(201, alice, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": armored})
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatal(err)
	}
	if len(k.ID) != 24 || !strings.HasSuffix(strings.ToUpper(fpr), k.KeyID) || !k.CanSign || k.RawKey != armored {
		t.Fatalf("uploaded key: got %s", out)
	}
	wantEmails := map[string]bool{"alice@example.com": true, "alice@work.example": false, "bob@example.com": false}
	if len(k.Emails) != 3 {
		t.Fatalf("emails: got %+v, want 2", k.Emails)
	}
	for _, em := range k.Emails {
		if want, ok := wantEmails[em.Email]; !ok || em.Verified != want {
			t.Errorf("email %s verified=%v, want %v", em.Email, em.Verified, want)
		}
	}
	if len(k.Subkeys) != 1 || !k.Subkeys[0].CanEncryptComms {
		t.Fatalf("subkeys: got %+v", k.Subkeys)
	}

	// The key is found by its primary key id; the encryption subkey, which
	// cannot sign and has no back-signature, is neither indexed nor claimed.
	for id, want := range map[string]int{k.KeyID: 1, k.Subkeys[0].KeyID: 0} {
		var n uint64
		if _, err := hexUint(id, &n); err != nil {
			t.Fatal(err)
		}
		got, err := e.keys.GPGKeysByID(context.Background(), n)
		if err != nil || len(got) != want || (want == 1 && got[0].AccountID != alice.UserID) {
			t.Fatalf("GPGKeysByID(%s): got %+v, %v; want %d", id, got, err, want)
		}
	}

	// Same key again, on the same or another account.
	if _, out := e.do(alice, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": armored}); !strings.Contains(out, "already added to your account") {
		t.Errorf("re-upload: got %s", out)
	}
	bobsCopy := e.must(400, bob, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": armored})
	if !strings.Contains(bobsCopy, "another account") {
		t.Errorf("key of another account: got %s", bobsCopy)
	}

	list := e.must(200, alice, "GET", "/api/settings/gpg-keys", nil)
	if !strings.Contains(list, k.ID) {
		t.Fatalf("list: got %s", list)
	}
	if got := e.must(200, bob, "GET", "/api/settings/gpg-keys", nil); strings.TrimSpace(got) != "[]" {
		t.Fatalf("bob's list: got %s", got)
	}
	// Bob cannot delete alice's key: it looks missing.
	e.must(404, bob, "DELETE", "/api/settings/gpg-keys/"+k.ID, nil)
	e.must(204, alice, "DELETE", "/api/settings/gpg-keys/"+k.ID, nil)
	e.must(404, alice, "DELETE", "/api/settings/gpg-keys/"+k.ID, nil)
	var n uint64
	_, _ = hexUint(k.KeyID, &n)
	if got, err := e.keys.GPGKeysByID(context.Background(), n); err != nil || len(got) != 0 {
		t.Fatalf("after delete: got %+v, %v", got, err)
	}
	// Once removed, another account holding one of its emails may add it.
	e.must(201, bob, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": armored})

	events, _, err := e.ids.Audit(context.Background(), alice, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Type] = true
	}
	if !seen[keyring.EventGPGKeyAdded] || !seen[keyring.EventGPGKeyRemoved] {
		t.Errorf("audit: got %+v", events)
	}
}

// TestGPGSubkeySquat: mallory binds vic's public key as a subkey of her own
// key (no back-signature: she lacks vic's private key) and uploads it
// first. That must not claim vic's key: vic can still add it.
func TestGPGSubkeySquat(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	vic, mallory := e.user("vic"), e.user("mallory")
	vicFpr := g.GenKey("Vic <vic@example.com>", "ed25519", "sign", "never", 0)
	squat := g.BindForeignKey(g.Export(vicFpr), "Mallory <mallory@example.com>")
	out := e.must(201, mallory, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": squat})
	if !strings.Contains(out, `"can_sign":false`) {
		t.Errorf("the bound foreign key shows as signing: %s", out)
	}
	e.must(201, vic, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": g.Export(vicFpr)})
	// Deleting mallory's key leaves vic's claim alone.
	var k struct{ ID string }
	_ = json.Unmarshal([]byte(out), &k)
	e.must(204, mallory, "DELETE", "/api/settings/gpg-keys/"+k.ID, nil)
	var n uint64
	_, _ = hexUint(vicFpr[24:], &n)
	if got, err := e.keys.GPGKeysByID(context.Background(), n); err != nil || len(got) != 1 || got[0].AccountID != vic.UserID {
		t.Fatalf("vic's key after mallory's delete: got %+v, %v", got, err)
	}
}

func hexUint(s string, n *uint64) (int, error) {
	b, err := hex.DecodeString(s)
	for _, c := range b {
		*n = *n<<8 | uint64(c)
	}
	return len(b), err
}

func TestGPGKeyRefusals(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	alice := e.user("alice")
	fpr := g.GenKey("Alice <alice@example.com>", "ed25519", "default", "never", 0)
	strangerFpr := g.GenKey("Mallory <mallory@example.com>", "ed25519", "default", "never", 0)
	weakFpr := g.GenKey("Alice Old <alice@example.com>", "rsa1024", "default", "never", 0)
	expiredFpr := g.GenKey("Alice Exp <alice@example.com>", "ed25519", "default", "seconds=1", 1600000000)

	tests := []struct {
		name   string
		caller access.Caller
		body   any
		status int
		want   string
	}{
		{"private key", alice, map[string]string{"armoredKey": string(g.GPG(0, "--armor", "--export-secret-keys", fpr))}, 400, "private key"},
		{"garbage armor", alice, map[string]string{"armoredKey": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all!\n-----END PGP PUBLIC KEY BLOCK-----\n"}, 400, "GPG key refused"},
		{"not armor", alice, map[string]string{"armoredKey": "hello"}, 400, "not an armored public key"},
		{"empty", alice, map[string]string{"armoredKey": ""}, 400, "armoredKey is required"},
		{"no verified email", alice, map[string]string{"armoredKey": g.Export(strangerFpr)}, 400, "none of its emails (mallory@example.com)"},
		{"weak", alice, map[string]string{"armoredKey": g.Export(weakFpr)}, 400, "too weak"},
		{"unknown field", alice, map[string]string{"key": g.Export(fpr)}, 400, "Unknown field"},
		{"token caller", access.Caller{Kind: access.KindUserToken, UserID: alice.UserID, Username: "alice", Role: access.TokenWrite}, map[string]string{"armoredKey": g.Export(fpr)}, 403, "logged-in session"},
		{"anonymous", access.Caller{}, map[string]string{"armoredKey": g.Export(fpr)}, 401, "Log in"},
		{"expired is accepted", alice, map[string]string{"armoredKey": g.Export(expiredFpr)}, 201, `"expires_at":"2020-09-13T12:26:41Z"`},
		{"GitHub field name", alice, map[string]string{"armored_public_key": g.Export(fpr)}, 201, `"can_sign":true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out := e.do(tt.caller, "POST", "/api/settings/gpg-keys", tt.body)
			if got != tt.status || !strings.Contains(out, tt.want) {
				t.Fatalf("got %d %s, want %d containing %q", got, out, tt.status, tt.want)
			}
		})
	}
}

// sshUpload is the body of an SSH key upload for caller c, with the proof
// of possession made by the real ssh-keygen over c's account id.
func sshUpload(g *gittest.Env, priv, pub string, c access.Caller) map[string]string {
	return map[string]string{"key": pub, "signature": g.SSHSign(priv, signingkey.ProofNamespace, []byte(c.UserID))}
}

func TestSSHKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	alice, bob := e.user("alice"), e.user("bob")
	priv, pub := g.SSHKey("alice", "ed25519")

	var k struct {
		ID, Title, Key, Fingerprint string
	}
	body := sshUpload(g, priv, pub, alice)
	body["title"] = "laptop"
	out := e.must(201, alice, "POST", "/api/settings/ssh-keys", body)
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatal(err)
	}
	if k.Title != "laptop" || !strings.HasPrefix(k.Fingerprint, "SHA256:") || !strings.HasPrefix(pub, k.Key) {
		t.Fatalf("uploaded: got %s", out)
	}
	got, err := e.keys.SSHKeysByFingerprint(context.Background(), k.Fingerprint)
	if err != nil || len(got) != 1 || got[0].AccountID != alice.UserID {
		t.Fatalf("SSHKeysByFingerprint: got %+v, %v", got, err)
	}
	if out := e.must(400, bob, "POST", "/api/settings/ssh-keys", sshUpload(g, priv, pub, bob)); !strings.Contains(out, "another account") {
		t.Errorf("bob: got %s", out)
	}
	otherPriv, _ := g.SSHKey("other", "ed25519")
	tests := []struct{ name, key, want string }{
		{"private key", readFile(t, otherPriv), "private key"},
		{"garbage", "ssh-ed25519 AAAA!!!", "SSH key refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, out := e.do(alice, "POST", "/api/settings/ssh-keys", map[string]string{"key": tt.key}); got != 400 || !strings.Contains(out, tt.want) {
				t.Fatalf("got %d %s, want 400 containing %q", got, out, tt.want)
			}
		})
	}
	if list := e.must(200, alice, "GET", "/api/settings/ssh-keys", nil); !strings.Contains(list, k.ID) {
		t.Fatalf("list: %s", list)
	}
	e.must(204, alice, "DELETE", "/api/settings/ssh-keys/"+k.ID, nil)
	if got, err := e.keys.SSHKeysByFingerprint(context.Background(), k.Fingerprint); err != nil || len(got) != 0 {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	e.must(201, bob, "POST", "/api/settings/ssh-keys", sshUpload(g, priv, pub, bob))
	e.must(404, alice, "DELETE", "/api/settings/ssh-keys/not-an-id", nil)
}

// TestSSHKeyNeedsProofOfPossession: mallory uploads alice's public key
// without alice's private key. Every way she can make a "proof" is
// refused, and alice can still add her own key afterwards.
func TestSSHKeyNeedsProofOfPossession(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	alice, mallory := e.user("alice"), e.user("mallory")
	alicePriv, alicePub := g.SSHKey("alice", "ed25519")
	malloryPriv, _ := g.SSHKey("mallory", "ed25519")
	repo := g.NewRepo("r", "sha1")
	commit := repo.CatFile("commit", repo.Commit("Alice", "alice@example.com", gittest.Signer{Format: "ssh", Key: alicePriv + ".pub"}, "signed"))
	gitSig := string(commit[strings.Index(string(commit), "-----BEGIN SSH SIGNATURE-----") : strings.Index(string(commit), "-----END SSH SIGNATURE-----")+len("-----END SSH SIGNATURE-----")])
	gitSig = strings.ReplaceAll(gitSig, "\n ", "\n")

	tests := []struct{ name, signature, want string }{
		{"no signature", "", "signature is required"},
		{"signed by her own key", g.SSHSign(malloryPriv, signingkey.ProofNamespace, []byte(mallory.UserID)), "not by the uploaded key"},
		{"alice's proof for alice's account", g.SSHSign(alicePriv, signingkey.ProofNamespace, []byte(alice.UserID)), "does not verify over your account id"},
		{"alice's commit signature replayed", gitSig, `namespace is \"git\"`},
		{"garbage", "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n", "not an armored SSH signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]string{"key": alicePub}
			if tt.signature != "" {
				body["signature"] = tt.signature
			}
			got, out := e.do(mallory, "POST", "/api/settings/ssh-keys", body)
			if got != 400 || !strings.Contains(out, tt.want) {
				t.Fatalf("got %d %s, want 400 containing %q", got, out, tt.want)
			}
		})
	}
	e.must(201, alice, "POST", "/api/settings/ssh-keys", sshUpload(g, alicePriv, alicePub, alice))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
