package signature_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/signature"
)

// TestWeakHashRefused signs real commits with gpg's --digest-algo set to
// each broken or retired hash (through gpg.conf, so git itself signs) and
// checks that a signature gpg and git accept is still not verified here.
// SHA-256 is the control: the same key and path must verify.
func TestWeakHashRefused(t *testing.T) {
	e := gittest.New(t)
	keys := map[string]string{
		"rsa":     e.GenKey("Rita <rita@example.com>", "rsa3072", "sign", "never", 0),
		"ed25519": e.GenKey("Alice <alice@example.com>", "ed25519", "sign", "never", 0),
	}
	d := newDir()
	d.addGPG(t, "rita", e.Export(keys["rsa"]))
	d.addGPG(t, "alice", e.Export(keys["ed25519"]))
	d.emails["rita@example.com"] = owner{"rita", true}
	d.emails["alice@example.com"] = owner{"alice", true}
	who := map[string][2]string{"rsa": {"Rita", "rita@example.com"}, "ed25519": {"Alice", "alice@example.com"}}
	r := e.NewRepo("r", "sha1")
	conf := filepath.Join(e.GNUPGHome, "gpg.conf")

	for _, algo := range []string{"rsa", "ed25519"} {
		for _, tt := range []struct {
			digest string
			want   signature.Reason
		}{
			{"SHA1", signature.ReasonWeakHash},
			{"MD5", signature.ReasonWeakHash},
			{"RIPEMD160", signature.ReasonWeakHash},
			{"SHA256", signature.ReasonValid},
		} {
			t.Run(algo+"/"+tt.digest, func(t *testing.T) {
				if err := os.WriteFile(conf, []byte("digest-algo "+tt.digest+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				name, email := who[algo][0], who[algo][1]
				id := r.Commit(name, email, gittest.Signer{Format: "openpgp", Key: keys[algo]}, algo+" "+tt.digest)
				raw := r.CatFile("commit", id)
				res, err := signature.Verify(context.Background(), raw, signature.Commit, d, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if res.Reason != tt.want || res.Verified != (tt.want == signature.ReasonValid) {
					t.Errorf("got %s (verified %v), want %s", res.Reason, res.Verified, tt.want)
				}
				if res.AccountID != "" && !res.Verified {
					t.Errorf("account %q named for an unverified signature", res.AccountID)
				}
				// go-crypto parses SHA-1 signatures, so the issuer is named;
				// MD5 and RIPEMD-160 ones are refused from the hash id alone.
				if tt.digest == "SHA1" && res.SignerKeyID == "" {
					t.Error("SHA-1 signature: signer key id not reported")
				}
				if tt.digest == "MD5" {
					return // gpg 2.2+ itself refuses to verify MD5 signatures
				}
				// gpg itself accepts the signature: the refusal is our policy.
				if ok, _, out := r.Verify("commit", id, ""); !ok {
					t.Fatalf("git verify-commit rejects the %s signature; the test proves nothing\n%s", tt.digest, out)
				}
			})
		}
	}
}
