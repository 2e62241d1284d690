package signature_test

import (
	"bytes"
	"context"
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/hubsec/trustlayer/shared/signature"
)

// TestNotSigningKey signs with a primary key whose self-signature lacks the
// sign flag. gpg refuses to make such a signature, so go-crypto makes it.
func TestNotSigningKey(t *testing.T) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	e, err := openpgp.NewEntity("Alice", "", "alice@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range e.Identities {
		id.SelfSignature.FlagSign = false
		if err := id.SelfSignature.SignUserId(name, e.PrimaryKey, e.PrivateKey, cfg); err != nil {
			t.Fatal(err)
		}
	}
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()

	payload := readFile(t, "commit-unsigned.txt")
	sig := &packet.Signature{
		Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: e.PrimaryKey.PubKeyAlgo, Hash: crypto.SHA256,
		CreationTime: time.Now(), IssuerKeyId: &e.PrimaryKey.KeyId, IssuerFingerprint: e.PrimaryKey.Fingerprint,
	}
	h, err := sig.PrepareSign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(payload)
	if err := sig.Sign(h, e.PrivateKey, cfg); err != nil {
		t.Fatal(err)
	}
	var armored bytes.Buffer
	aw, _ := armor.Encode(&armored, openpgp.SignatureType, nil)
	if err := sig.Serialize(aw); err != nil {
		t.Fatal(err)
	}
	aw.Close()

	// Insert the signature as a gpgsig header before the blank line.
	block := "gpgsig " + strings.ReplaceAll(strings.TrimSuffix(armored.String(), "\n"), "\n", "\n ") + "\n"
	split := bytes.Index(payload, []byte("\n\n")) + 1
	raw := append(append(append([]byte{}, payload[:split]...), block...), payload[split:]...)

	d := newDir()
	d.addGPG(t, "alice", pub.String())
	d.emails["alice@example.com"] = owner{"alice", true}
	res, err := signature.Verify(context.Background(), raw, signature.Commit, d, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason != signature.ReasonNotSigningKey {
		t.Errorf("got %s, want %s", res.Reason, signature.ReasonNotSigningKey)
	}
}
