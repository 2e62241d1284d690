// End-to-end tests of model signatures (issue 21): a pushed model.sig is
// verified against the commit's tree by the git server's post-receive
// path, the status is served by the API, and the namespace's trusted
// signers decide untrusted or verified when read.

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// omsKeyBundle signs files (sha256, files method) with k as the
// reference tool does: resources sorted, root digest, DSSE PAE, hint.
func omsKeyBundle(t testing.TB, k *ecdsa.PrivateKey, files map[string][]byte) []byte {
	t.Helper()
	digests := map[string]string{}
	for name, b := range files {
		digests[name] = oid(b)
	}
	return omsKeyBundleOf(t, k, digests)
}

// omsKeyBundleOf is omsKeyBundle of files given by their SHA-256.
func omsKeyBundleOf(t testing.TB, k *ecdsa.PrivateKey, digests map[string]string) []byte {
	t.Helper()
	type res struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	}
	var rs []res
	for name, d := range digests {
		rs = append(rs, res{Name: name, Algorithm: "sha256", Digest: d})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	root := sha256.New()
	for _, r := range rs {
		raw, _ := hex.DecodeString(r.Digest)
		root.Write(raw)
	}
	payload, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "model", "digest": map[string]string{"sha256": hex.EncodeToString(root.Sum(nil))}}},
		"predicateType": "https://model_signing/signature/v1.0",
		"predicate": map[string]any{"resources": rs, "serialization": map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false,
			"ignore_paths": []string{".git", ".gitattributes", ".github", ".gitignore", "model.sig"}}},
	})
	const typ = "application/vnd.in-toto+json"
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(typ), typ, len(payload), payload)
	// ECDSA's hash follows the curve (the keys here are P-384).
	sum := sha512.Sum384([]byte(pae))
	sig, err := ecdsa.SignASN1(rand.Reader, k, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	hint := sha256.Sum256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	b, _ := json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": hex.EncodeToString(hint[:])}, "tlogEntries": []any{}},
		"dsseEnvelope": map[string]any{"payload": base64.StdEncoding.EncodeToString(payload), "payloadType": typ,
			"signatures": []any{map[string]string{"sig": base64.StdEncoding.EncodeToString(sig), "keyid": ""}}},
	})
	return b
}

type modelSignature struct {
	Commit    string `json:"commit"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Method    string `json:"method"`
	TrustedBy *struct {
		Type, Name, SignerID string
	} `json:"trustedBy"`
	Files struct {
		Signed, Verified              int
		Mismatched, Missing, Unsigned []string
		Ignored                       []string
	} `json:"files"`
}

// signatureAt polls the model-signature of rev until it is recorded.
func (s stack) signatureAt(t *testing.T, a account, rev string) modelSignature {
	t.Helper()
	var out modelSignature
	var st int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var raw json.RawMessage
		st = s.call(t, "GET", fmt.Sprintf("%s/api/models/%s/%s/model-signature/%s", s.gateway, a.user, a.repo, rev), "Bearer "+a.token, nil, &raw)
		if st == http.StatusOK {
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		if st != http.StatusNotFound {
			t.Fatalf("model-signature: %d %s", st, raw)
		}
	}
	t.Fatalf("model-signature of %s never recorded (%d)", rev, st)
	return out
}

// TestModelSignatureAtPush: a directory signed with a key and pushed
// (an LFS file among it) is untrusted until the owner trusts the key,
// verified then, untrusted again when the key is removed; a pushed change
// to one file is a mismatch naming it; an unsigned commit is unsigned.
func TestModelSignatureAtPush(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	u := h.signup("msig")
	tok, _ := h.token(u, "write")
	a := account{user: u.Name, token: tok, repo: uniqueName("signed")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create repo")

	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"config.json": []byte(`{"architectures":["Tiny"]}`),
		"README.md": []byte("---\nmodel-index:\n- name: tiny\n  results:\n  - task: {type: text-classification}\n    dataset: {name: glue, type: glue}\n" +
			"    metrics:\n    - {type: accuracy, value: 0.9}\n---\n# tiny\n"),
		"weights.bin": []byte(strings.Repeat("w", 5000)), // LFS
	}
	signed := withFile(files, "model.sig", omsKeyBundle(t, k, files))
	// eval-results' signedModel: README.md covered by a verified model
	// signature at that commit, trust judged when read.
	signedModel := func(rev string) bool {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			r := h.do("GET", "/api/models/"+a.user+"/"+a.repo+"/eval-results/"+rev, "Bearer "+tok, nil)
			var evals []struct {
				SignedModel bool `json:"signedModel"`
			}
			if r.Status == 200 && json.Unmarshal(r.Body, &evals) == nil && len(evals) == 1 {
				return evals[0].SignedModel
			}
			if time.Now().After(deadline) {
				t.Fatalf("eval-results at %s: %d %s", rev, r.Status, r.Body)
			}
		}
	}
	dir := s.pushDir(t, a, signed)
	first := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))

	got := s.signatureAt(t, a, first)
	if got.Status != "untrusted" || got.Method != "key" || got.Files.Signed != 3 || got.Files.Verified != 3 || got.TrustedBy != nil {
		t.Fatalf("before trust: %+v", got)
	}
	if signedModel(first) {
		t.Fatal("eval-results: signedModel true under an untrusted signature")
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	// A token is not a session: it cannot change whom the account trusts.
	if r := h.do("POST", "/api/settings/model-signers", "Bearer "+tok, map[string]any{"type": "key", "publicKey": pemKey}); r.Status != 403 {
		t.Fatalf("token adding a signer: %d", r.Status)
	}
	if r := h.do("POST", "/api/settings/model-signers", u.bearer(), map[string]any{"type": "key", "publicKey": "not a key"}); r.Status != 400 {
		t.Fatalf("bad key: %d", r.Status)
	}
	added := h.must(201, h.do("POST", "/api/settings/model-signers", u.bearer(), map[string]any{"type": "key", "publicKey": pemKey, "name": "release key"}), "add signer").json(t)
	id := added["id"].(string)
	if fp, _ := added["keyFingerprint"].(string); len(fp) != 64 {
		t.Fatalf("added %v", added)
	}
	got = s.signatureAt(t, a, "main")
	if got.Status != "verified" || got.TrustedBy == nil || got.TrustedBy.Type != "user" || got.TrustedBy.Name != a.user || got.TrustedBy.SignerID != id {
		t.Fatalf("after trust: %+v", got)
	}
	info := h.must(200, h.do("GET", "/api/models/"+a.user+"/"+a.repo, "Bearer "+tok, nil), "repo info").json(t)
	if ms, _ := info["modelSignature"].(map[string]any); ms == nil || ms["status"] != "verified" || ms["method"] != "key" {
		t.Fatalf("repo info modelSignature: %v", info["modelSignature"])
	}
	if !signedModel(first) {
		t.Fatal("eval-results: signedModel false under a verified signature covering README.md")
	}

	// One file changed after signing.
	msigWriteFile(t, dir, "config.json", []byte(`{"architectures":["Evil"]}`))
	git(t, dir, "commit", "-qam", "change config")
	git(t, dir, "push", "-q", a.remote(s), "main")
	second := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	got = s.signatureAt(t, a, second)
	if got.Status != "mismatch" || strings.Join(got.Files.Mismatched, ",") != "config.json" || !strings.Contains(got.Reason, "config.json") {
		t.Fatalf("tampered: %+v", got)
	}
	if signedModel(second) {
		t.Fatal("eval-results: signedModel true at a commit whose signature is a mismatch")
	}

	h.must(204, h.do("DELETE", "/api/settings/model-signers/"+id, u.bearer(), nil), "remove signer")
	if got = s.signatureAt(t, a, first); got.Status != "untrusted" {
		t.Fatalf("after removing the signer: %+v", got)
	}
	if signedModel(first) {
		t.Fatal("eval-results: signedModel still true after the signer was removed")
	}
	list := h.must(200, h.do("GET", "/api/settings/model-signers", u.bearer(), nil), "list")
	if strings.Contains(string(list.Body), id) {
		t.Fatalf("removed signer still listed: %s", list.Body)
	}

	// A commit without model.sig is unsigned.
	git(t, dir, "rm", "-q", "model.sig")
	git(t, dir, "commit", "-qm", "drop signature")
	git(t, dir, "push", "-q", a.remote(s), "main")
	if got = s.signatureAt(t, a, strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))); got.Status != "unsigned" {
		t.Fatalf("no model.sig: %+v", got)
	}
}

func withFile(m map[string][]byte, name string, b []byte) map[string][]byte {
	out := map[string][]byte{name: b}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pushDir is stack.push keeping the clone, for further commits.
func (s stack) pushDir(t testing.TB, a account, files map[string][]byte) string {
	t.Helper()
	dir := s.lfsWorkDir(t, a)
	git(t, dir, "lfs", "track", "*.bin")
	for name, data := range files {
		msigWriteFile(t, dir, name, data)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "add files")
	git(t, dir, "push", "-q", a.remote(s), "main")
	waitIndexed(t, s.gateway, "/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token, "main", strings.TrimSpace(git(t, dir, "rev-parse", "HEAD")))
	return dir
}

func msigWriteFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRequireSignedModels: with requireSignedModels on, a real git push
// of a signed directory (an LFS file among it) by a trusted key moves
// main; the same push after one file changed is refused, the remote:
// lines naming the status, the file and the model_signing command, and
// main stays; through the commit API, a commit that adds an unsigned file
// is refused (403) and one that re-signs what it changes is accepted.
func TestRequireSignedModels(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	u := h.signup("msreq")
	tok, _ := h.token(u, "write")
	a := account{user: u.Name, token: tok, repo: uniqueName("policy")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create repo")
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	h.must(201, h.do("POST", "/api/settings/model-signers", u.bearer(), map[string]any{"type": "key", "publicKey": pemKey}), "trust the key")
	set := h.must(200, h.do("PUT", "/api/models/"+a.user+"/"+a.repo+"/settings", u.bearer(), map[string]any{"requireSignedModels": true}), "require signed models").json(t)
	if set["requireSignedModels"] != true || set["signedModelsRequired"] != true {
		t.Fatalf("settings answer: %v", set)
	}

	files := map[string][]byte{
		"config.json": []byte(`{"architectures":["Tiny"]}`),
		"weights.bin": []byte(strings.Repeat("v", 7000)), // LFS
	}
	dir := s.pushDir(t, a, withFile(files, "model.sig", omsKeyBundle(t, k, files)))
	head := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	if got := s.remoteMain(t, a); got != head {
		t.Fatalf("signed push: main is %q, want %s", got, head)
	}
	if got := s.signatureAt(t, a, head); got.Status != "verified" {
		t.Fatalf("signed push recorded %+v", got)
	}

	// One file changed, model.sig not: refused, main stays.
	msigWriteFile(t, dir, "config.json", []byte(`{"architectures":["Evil"]}`))
	git(t, dir, "commit", "-qam", "change config")
	out, err := msigGitTry(dir, "push", a.remote(s), "main")
	if err == nil {
		t.Fatalf("push of a changed file under requireSignedModels accepted:\n%s", redact(out))
	}
	for _, want := range []string{"remote: ", "requireSignedModels", "model signature is mismatch", "config.json does not match its signed digest", "model_signing sign key . --private_key"} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal lacks %q:\n%s", want, redact(out))
		}
	}
	if got := s.remoteMain(t, a); got != head {
		t.Fatalf("refused push moved main to %s", got)
	}

	// The commit API: an unsigned file added is refused.
	code, _, msg := s.commitAPI(t, a, "main", header("add notes", head), fileOp("notes.txt", "n\n"))
	if code != 403 || !strings.Contains(msg, "mismatch") || !strings.Contains(msg, "notes.txt is in the commit but not signed") {
		t.Errorf("commit API adding an unsigned file: %d %q, want 403 naming notes.txt", code, msg)
	}
	// Changed and signed again in the same commit: accepted.
	files["config.json"] = []byte(`{"architectures":["Tiny2"]}`)
	code, made, msg := s.commitAPI(t, a, "main", header("new config, signed", head),
		fileOp("config.json", string(files["config.json"])), fileOp("model.sig", string(omsKeyBundle(t, k, files))))
	if code != 200 {
		t.Fatalf("commit API re-signing: %d %s", code, msg)
	}
	if got := s.remoteMain(t, a); got != made {
		t.Fatalf("main is %s after the signed commit API commit %s", got, made)
	}

	// The organization's setting and the organization's signers.
	org := uniqueName("msorg")
	h.must(201, h.do("POST", "/api/organizations", u.bearer(), map[string]any{"name": org}), "create org")
	h.must(200, h.do("PUT", "/api/organizations/"+org+"/settings", u.bearer(), map[string]any{"requireSignedModels": true}), "org requires signed models")
	oa := account{user: org, token: tok, repo: uniqueName("orgpolicy")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": oa.repo, "type": "model", "organization": org}), "create org repo")
	code, _, msg = s.commitAPI(t, oa, "main", header("unsigned", ""), fileOp("config.json", string(files["config.json"])))
	if code != 403 || !strings.Contains(msg, "requireSignedModels") || !strings.Contains(msg, "model signature is unsigned") {
		t.Errorf("commit API of an unsigned model in an org requiring signed models: %d %q", code, msg)
	}
	signed := map[string][]byte{"config.json": files["config.json"]}
	sig := string(omsKeyBundle(t, k, signed))
	code, _, msg = s.commitAPI(t, oa, "main", header("signed, org does not trust", ""), fileOp("config.json", string(files["config.json"])), fileOp("model.sig", sig))
	if code != 403 || !strings.Contains(msg, "model signature is untrusted") {
		t.Errorf("commit API signed by a key the org does not trust: %d %q", code, msg)
	}
	h.must(201, h.do("POST", "/api/organizations/"+org+"/settings/model-signers", u.bearer(), map[string]any{"type": "key", "publicKey": pemKey}), "org trusts the key")
	if code, _, msg = s.commitAPI(t, oa, "main", header("signed, org trusts", ""), fileOp("config.json", string(files["config.json"])), fileOp("model.sig", sig)); code != 200 {
		t.Errorf("commit API signed by a key the org trusts: %d %s", code, msg)
	}
}

// remoteMain is the git server's refs/heads/main of a's repository.
func (s stack) remoteMain(t *testing.T, a account) string {
	t.Helper()
	out, err := msigGitTry(t.TempDir(), "ls-remote", a.remote(s), "refs/heads/main")
	if err != nil {
		t.Fatalf("ls-remote: %v\n%s", err, redact(out))
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// msigGitTry runs git as git does, returning its output and error.
func msigGitTry(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_ASKPASS=/bin/false", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
