package signature_test

import (
	"context"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/signature"
)

// TestForeignSubkeyIsNotSigning: mallory binds vic's real gpg key as a
// flagless subkey of her own key (no back-signature: she lacks vic's
// private key) and uploads it. vic's genuinely signed commit must not be
// attributed to mallory's account, and a real gpg signing subkey (with
// its back-signature) must still verify.
func TestForeignSubkeyIsNotSigning(t *testing.T) {
	e := gittest.New(t)
	vic := e.GenKey("Vic <vic@example.com>", "ed25519", "sign", "never", 0)
	sam := e.GenKey("Sam <sam@example.com>", "ed25519", "cert", "never", 0)
	e.AddSubkey(sam, "ed25519", "sign", "never", 0)
	squat := e.BindForeignKey(e.Export(vic), "Mallory <mallory@example.com>")

	r := e.NewRepo("r", "sha1")
	vicCommit := r.CatFile("commit", r.Commit("Vic", "vic@example.com", gittest.Signer{Format: "openpgp", Key: vic}, "vic signs"))
	samCommit := r.CatFile("commit", r.Commit("Sam", "sam@example.com", gittest.Signer{Format: "openpgp", Key: sam}, "sam's subkey signs"))

	d := newDir()
	d.addGPG(t, "mallory", squat)
	d.addGPG(t, "sam", e.Export(sam))
	d.emails["vic@example.com"] = owner{"vic", true}
	d.emails["mallory@example.com"] = owner{"mallory", true}
	d.emails["sam@example.com"] = owner{"sam", true}

	for _, tt := range []struct {
		name   string
		raw    []byte
		reason signature.Reason
	}{
		{"foreign key bound without back-signature", vicCommit, signature.ReasonNotSigningKey},
		{"gpg signing subkey with back-signature", samCommit, signature.ReasonValid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := signature.Verify(context.Background(), tt.raw, signature.Commit, d, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if res.Reason != tt.reason {
				t.Errorf("got %s (account %q), want %s", res.Reason, res.AccountID, tt.reason)
			}
		})
	}
}
