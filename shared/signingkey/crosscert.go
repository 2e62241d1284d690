package signingkey

import "github.com/ProtonMail/go-crypto/openpgp/packet"

// SubkeyCanSign reports whether the subkey sub, bound to primary by the
// subkey binding signature binding, may make data signatures: the binding
// allows it (its sign flag, or, with no key flags, an algorithm that can
// sign) and it embeds a valid primary-key binding signature ("back-
// signature", RFC 9580 §5.2.1) made by the subkey over both keys.
//
// The binding alone is made by the primary key: anyone can bind someone
// else's public key as their subkey. Only the back-signature proves that
// the primary's owner holds the subkey's private key. go-crypto checks it
// at parse time for subkeys flagged to sign, not for flagless ones, so it
// is checked here whatever the flags.
func SubkeyCanSign(primary, sub *packet.PublicKey, binding *packet.Signature) bool {
	if primary == nil || sub == nil || binding == nil || !sub.CanSign() {
		return false
	}
	allowed := sub.PubKeyAlgo.CanSign()
	if binding.FlagsValid {
		allowed = binding.FlagSign
	}
	return allowed && crossCertified(primary, sub, binding)
}

// crossCertified verifies the back-signature embedded in binding.
func crossCertified(primary, sub *packet.PublicKey, binding *packet.Signature) bool {
	back := binding.EmbeddedSignature
	if back == nil || back.SigType != packet.SigTypePrimaryKeyBinding || back.PubKeyAlgo != sub.PubKeyAlgo {
		return false
	}
	h, err := back.PrepareVerify()
	if err != nil {
		return false
	}
	if primary.SerializeForHash(h) != nil || sub.SerializeForHash(h) != nil {
		return false
	}
	return sub.VerifySignature(h, back) == nil
}
