package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

// TestWebSignedModel: in Chromium, the account's model signers page
// trusts a key; the repository page then shows the "Signed model" badge
// with the signer, and its signature page lists every file with its
// result; after a push that changes one file the badge gives way to the
// mismatch, naming the file, and the signature page marks it; removing
// the signer on the settings page makes the first commit untrusted.
func TestWebSignedModel(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	b := newBrowser(t, 1280, 900)
	u := b.signupInBrowser("mspage")
	tok, _ := h.token(u, "write")
	a := account{user: u.Name, token: tok, repo: uniqueName("signedpage")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create repo")
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"config.json": []byte(`{"a":1}`), "weights.bin": []byte(strings.Repeat("q", 3000))}
	dir := s.pushDir(t, a, withFile(files, "model.sig", omsKeyBundle(t, k, files)))
	first := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	s.signatureAt(t, a, first)
	root := "/" + a.user + "/" + a.repo

	b.open(root)
	b.mustSee("untrusted badge", "Model signature: untrusted", "not among the model signers")

	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	b.open("/settings/model-signers")
	b.mustSee("signers page", "Trusted model signers", "No model signers yet.")
	b.fill("name", "release key")
	b.fill("publicKey", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	b.press("Trust signer", "")
	b.mustSee("signer added", "Model signer release key: key", "added.")
	b.shot("model-signers")

	b.open(root)
	badge := b.text("#model-signature")
	if !strings.Contains(badge, "Signed model") || !strings.Contains(badge, "trusted by user "+a.user) {
		t.Fatalf("badge: %q", badge)
	}
	b.shot("signed-model-badge")
	b.follow("Signed model", "")
	b.mustSee("signature page", "Model signature", "method key", "2 files signed, 2 match")
	rows := b.text("#signature-files")
	for _, want := range []string{"config.json verified", "weights.bin verified", "model.sig signature", ".gitattributes ignored"} {
		if !strings.Contains(strings.Join(strings.Fields(rows), " "), want) {
			t.Errorf("signature page lacks %q:\n%s", want, rows)
		}
	}
	b.shot("model-signature-page")

	// One file changed after signing.
	msigWriteFile(t, dir, "config.json", []byte(`{"a":2}`))
	git(t, dir, "commit", "-qam", "change config")
	git(t, dir, "push", "-q", a.remote(s), "main")
	second := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	s.signatureAt(t, a, second)
	s.waitMain(t, a, second)
	b.open(root)
	b.mustSee("mismatch badge", "Model signature: mismatch", "config.json does not match its signed digest")
	b.open(root + "/signature/" + second)
	if rows := strings.Join(strings.Fields(b.text("#signature-files")), " "); !strings.Contains(rows, "config.json mismatch") || !strings.Contains(rows, "weights.bin verified") {
		t.Errorf("signature page after the change:\n%s", rows)
	}

	b.open("/settings/model-signers")
	b.press("Remove", "release key")
	b.mustSee("signer removed", "No model signers yet.")
	b.open(root + "/signature/" + first)
	b.mustSee("untrusted again", "untrusted")
}

// waitMain waits until the index (asynchronous after a push) has main at
// commit, so that the pages show it.
func (s stack) waitMain(t *testing.T, a account, commit string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		var info struct {
			SHA string `json:"sha"`
		}
		s.call(t, "GET", s.gateway+"/api/models/"+a.user+"/"+a.repo, "Bearer "+a.token, nil, &info)
		if info.SHA == commit {
			return
		}
		sleepBriefly()
	}
	t.Fatalf("main never reached %s in the index", commit)
}

func sleepBriefly() { time.Sleep(300 * time.Millisecond) }
