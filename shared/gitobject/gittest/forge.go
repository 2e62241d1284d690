package gittest

import (
	"bytes"
	"crypto"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// BindForeignKey forges the key-squatting attack that gpg will not make:
// a fresh key for attackerUID ("Name <email>", made with go-crypto) that
// binds the primary public key of victimArmored as its own subkey, with a
// binding signature that carries no key flags and no back-signature (the
// attacker does not hold the victim's private key). It returns the
// attacker's armored public key.
func (e *Env) BindForeignKey(victimArmored, attackerUID string) string {
	e.t.Helper()
	victims, err := openpgp.ReadArmoredKeyRing(strings.NewReader(victimArmored))
	if err != nil || len(victims) != 1 {
		e.t.Fatalf("read victim key: %v", err)
	}
	name, email, _ := strings.Cut(strings.TrimSuffix(attackerUID, ">"), " <")
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	attacker, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	stolen := *victims[0].PrimaryKey
	stolen.IsSubkey = true
	binding := &packet.Signature{
		Version: 4, SigType: packet.SigTypeSubkeyBinding, PubKeyAlgo: attacker.PrimaryKey.PubKeyAlgo,
		Hash: crypto.SHA256, CreationTime: time.Now(),
		IssuerKeyId: &attacker.PrimaryKey.KeyId, IssuerFingerprint: attacker.PrimaryKey.Fingerprint,
	}
	if err := binding.SignKey(&stolen, attacker.PrivateKey, cfg); err != nil {
		e.t.Fatal(err)
	}
	attacker.Subkeys = []openpgp.Subkey{{PublicKey: &stolen, Sig: binding}}
	var out bytes.Buffer
	w, err := armor.Encode(&out, openpgp.PublicKeyType, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := attacker.Serialize(w); err != nil {
		e.t.Fatal(err)
	}
	_ = w.Close()
	return out.String()
}
