package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelSignatureKeylessThroughItsFunction: the reference tool's
// keyless (Sigstore) bundle, pushed with the files it signs, is verified
// by the keyless function (uploads invokes it through the local Lambda
// endpoint; uploads links no sigstore-go): untrusted with the Sigstore
// signer recorded, verified once the owner trusts that identity and
// issuer. Without the keyless function the record is invalid ("not
// configured").
func TestModelSignatureKeylessThroughItsFunction(t *testing.T) {
	s := needStack(t)
	h := newHub(t)
	u := h.signup("keyless")
	tok, _ := h.token(u, "write")
	a := account{user: u.Name, token: tok, repo: uniqueName("keyless")}
	h.must(200, h.do("POST", "/api/repos/create", u.bearer(), map[string]any{"name": a.repo, "type": "model"}), "create repo")

	src := "../shared/modelsig/testdata/reference/v1.1.0-sigstore"
	files := map[string][]byte{}
	for _, name := range []string{"model.sig", "signme-1", "signme-2", "ignore-me"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	dir := s.pushDir(t, a, files)
	head := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
	got := s.signatureAt(t, a, head)
	if got.Status != "untrusted" || got.Method != "sigstore" || got.Files.Signed != 2 || got.Files.Verified != 2 {
		t.Fatalf("keyless bundle: %+v", got)
	}
	h.must(201, h.do("POST", "/api/settings/model-signers", u.bearer(), map[string]any{"type": "sigstore",
		"identity": "stefanb@us.ibm.com", "issuer": "https://sigstore.verify.ibm.com/oauth2"}), "trust the identity")
	if got = s.signatureAt(t, a, head); got.Status != "verified" {
		t.Fatalf("after trusting the identity: %+v", got)
	}
}
