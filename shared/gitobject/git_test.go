package gitobject_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
)

// TestAgainstGit makes real objects with git and gpg and checks that the
// computed ids match git's and that gpg accepts our payload + signature.
func TestAgainstGit(t *testing.T) {
	e := gittest.New(t)
	fpr := e.GenKey("Alice <alice@example.com>", "ed25519", "sign", "never", 0)
	signer := gittest.Signer{Format: "openpgp", Key: fpr}
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			r := e.NewRepo("r-"+format, format)
			base := r.Commit("Alice", "alice@example.com", signer, "base")
			r.Git("Alice", "alice@example.com", gittest.Signer{}, "checkout", "-q", "-b", "side")
			r.Commit("Alice", "alice@example.com", gittest.Signer{}, "side")
			r.Git("Alice", "alice@example.com", signer, "tag", "-s", "v1", "-m", "side release")
			r.Git("Alice", "alice@example.com", gittest.Signer{}, "checkout", "-q", "main")
			r.Git("Alice", "alice@example.com", signer, "merge", "-q", "--no-ff", "-S", "-m", "merge v1", "v1")
			merge := r.Git("Alice", "alice@example.com", gittest.Signer{}, "rev-parse", "HEAD")
			enc := r.Commit("Alice", "alice@example.com", signer, "caf\xe9", "-c", "i18n.commitEncoding=ISO-8859-1")
			tagID := r.Git("Alice", "alice@example.com", gittest.Signer{}, "rev-parse", "v1")

			for _, id := range []string{base, merge, enc} {
				raw := r.CatFile("commit", id)
				c, err := gitobject.ParseCommit(raw)
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				if got := c.ID(); got != id {
					t.Errorf("id: got %s, want %s", got, id)
				}
				if string(c.Format) != format || c.Signature == nil {
					t.Fatalf("%s: format %s, signed %v", id, c.Format, c.Signature != nil)
				}
				gpgVerify(t, e, c.Payload, c.Signature)
			}
			raw := r.CatFile("tag", tagID)
			tag, err := gitobject.ParseTag(raw)
			if err != nil {
				t.Fatal(err)
			}
			if tag.ID() != tagID {
				t.Errorf("tag id: got %s, want %s", tag.ID(), tagID)
			}
			gpgVerify(t, e, tag.Payload, tag.Signature)
		})
	}
}

// gpgVerify asks gpg whether signature is a good signature over payload.
func gpgVerify(t *testing.T, e *gittest.Env, payload, signature []byte) {
	t.Helper()
	dir := t.TempDir()
	p, s := filepath.Join(dir, "payload"), filepath.Join(dir, "sig.asc")
	if err := os.WriteFile(p, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s, signature, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := e.TryCmd(dir, nil, nil, "gpg", "--batch", "--verify", s, p); err != nil {
		t.Errorf("gpg rejects our payload: %v\n%s", err, stderr)
	}
}
