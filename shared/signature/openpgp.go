package signature

import (
	"bytes"
	"crypto/rsa"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/hubsec/trustlayer/shared/signingkey"
)

// verifyGPG judges an OpenPGP detached signature over payload.
func (c *checker) verifyGPG(res *Result, payload, armored []byte) error {
	sig, problem := readPGPSignature(armored)
	if sig == nil {
		res.setReason(problem)
		return nil
	}
	keyID, fpr := issuer(sig)
	res.SignerKeyID = fmt.Sprintf("%016X", keyID)
	if fpr != nil {
		res.SignerFingerprint = fmt.Sprintf("%X", fpr)
	}
	signedAt := sig.CreationTime.UTC()
	res.SignedAt = &signedAt
	if problem != "" {
		res.setReason(problem) // a weak hash: no key is looked up
		return nil
	}

	uploaded, err := c.keys.GPGKeysByID(c.ctx, keyID)
	if err != nil {
		return fmt.Errorf("look up OpenPGP key %016X: %w", keyID, err)
	}
	best := ReasonUnknownKey
	for _, up := range uploaded {
		k, err := parseGPGCached(up.ArmoredKey)
		if err != nil {
			continue // a stored key that no longer parses matches nothing
		}
		for _, cand := range candidates(k.Entity(), keyID, fpr) {
			reason, err := c.judgeGPG(cand, k, up.AccountID, sig, payload)
			if err != nil {
				return err
			}
			if better(reason, best) || (reason == best && res.AccountID == "") {
				best = reason
				res.AccountID = up.AccountID
				res.SignerPrimaryKeyID = k.KeyID
				res.SignerFingerprint = fmt.Sprintf("%X", cand.key.Fingerprint)
			}
		}
	}
	if best == ReasonUnknownKey || best == ReasonInvalid {
		res.AccountID = "" // a bad signature proves no account
	}
	res.setReason(best)
	return nil
}

// weakHashes are the OpenPGP ids (RFC 9580 §9.5) of the hashes a data
// signature may not use: MD5 and SHA-1 have practical collision attacks
// (two objects, one signature), RIPEMD-160 is retired with them.
var weakHashes = map[byte]string{1: "MD5", 2: "SHA-1", 3: "RIPEMD-160"}

// signatureHashID returns the hash algorithm id of a raw signature packet
// body, for versions 3 to 6, so a weak hash is named even when go-crypto
// refuses to parse it.
func signatureHashID(body []byte) (byte, bool) {
	switch {
	case len(body) > 16 && body[0] == 3:
		return body[16], true // version, 5, type, time(4), key id(8), algo, hash
	case len(body) > 3 && body[0] >= 4 && body[0] <= 6:
		return body[3], true // version, type, algo, hash
	}
	return 0, false
}

// readPGPSignature decodes an armored signature and returns its first
// signature packet, which must be a binary or text document signature.
// A problem is reported as ReasonMalformedSignature or ReasonWeakHash (the
// signature is returned when it parsed, so its issuer can be named).
func readPGPSignature(armored []byte) (*packet.Signature, Reason) {
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil || block.Type != openpgp.SignatureType {
		return nil, ReasonMalformedSignature
	}
	op, err := packet.NewOpaqueReader(block.Body).Next()
	if err != nil || op.Tag != 2 { // 2: signature packet
		return nil, ReasonMalformedSignature
	}
	id, _ := signatureHashID(op.Contents)
	_, weak := weakHashes[id]
	p, err := op.Parse()
	sig, ok := p.(*packet.Signature)
	if err != nil || !ok {
		if weak { // go-crypto parses no MD5 or RIPEMD-160 signature
			return nil, ReasonWeakHash
		}
		return nil, ReasonMalformedSignature
	}
	if sig.SigType != packet.SigTypeBinary && sig.SigType != packet.SigTypeText {
		return nil, ReasonMalformedSignature
	}
	if sig.IssuerKeyId == nil && sig.IssuerFingerprint == nil {
		return nil, ReasonMalformedSignature
	}
	if weak {
		return sig, ReasonWeakHash
	}
	if _, err := sig.PrepareVerify(); err != nil { // unsupported hash
		return nil, ReasonMalformedSignature
	}
	return sig, ""
}

// issuer returns the signer's key id and, when the signature carries one,
// its fingerprint.
func issuer(sig *packet.Signature) (uint64, []byte) {
	fpr := sig.IssuerFingerprint
	switch {
	case sig.IssuerKeyId != nil:
		return *sig.IssuerKeyId, fpr
	case len(fpr) == 20: // v4: key id is the low 64 bits
		return binary.BigEndian.Uint64(fpr[12:]), fpr
	case len(fpr) >= 8: // v5/v6: the high 64 bits
		return binary.BigEndian.Uint64(fpr[:8]), fpr
	}
	return 0, fpr
}

// candidate is one key (primary or subkey) of an entity.
type candidate struct {
	key         *packet.PublicKey
	binding     *packet.Signature   // self-signature or subkey binding signature
	revocations []*packet.Signature // of this key
	primary     bool
	primaryKey  *packet.PublicKey // the entity's primary key
}

// candidates lists the keys of e with keyID (and fingerprint, if given).
func candidates(e *openpgp.Entity, keyID uint64, fpr []byte) []candidate {
	if e == nil {
		return nil
	}
	match := func(pk *packet.PublicKey) bool {
		return pk.KeyId == keyID && (fpr == nil || bytes.Equal(pk.Fingerprint, fpr))
	}
	var out []candidate
	if match(e.PrimaryKey) {
		self, _ := e.PrimarySelfSignature()
		out = append(out, candidate{key: e.PrimaryKey, binding: self, revocations: e.Revocations, primary: true, primaryKey: e.PrimaryKey})
	}
	for _, s := range e.Subkeys {
		if match(s.PublicKey) {
			out = append(out, candidate{key: s.PublicKey, binding: s.Sig, revocations: s.Revocations, primaryKey: e.PrimaryKey})
		}
	}
	return out
}

// judgeGPG runs the checks for one candidate key in precedence order.
func (c *checker) judgeGPG(cand candidate, k *signingkey.GPGKey, accountID string, sig *packet.Signature, payload []byte) (Reason, error) {
	if !cryptoValid(cand.key, sig, payload) {
		return ReasonInvalid, nil
	}
	at := sig.CreationTime
	e := k.Entity()
	if revokedAt(e.Revocations, at) || (!cand.primary && revokedAt(cand.revocations, at)) {
		return ReasonRevokedKey, nil
	}
	primarySelf, _ := e.PrimarySelfSignature()
	if expiredAt(e.PrimaryKey, primarySelf, at) || (!cand.primary && expiredAt(cand.key, cand.binding, at)) {
		return ReasonExpiredKey, nil
	}
	if !canSign(cand) {
		return ReasonNotSigningKey, nil
	}
	reason, err := c.accountReason(accountID)
	if err != nil || reason != ReasonValid {
		return reason, err
	}
	if !k.HasEmail(c.email) {
		return ReasonBadEmail, nil
	}
	return ReasonValid, nil
}

// cryptoValid checks the signature over payload with pk. A fresh hash is
// used per key because verification consumes it. Version 4 RSA signatures
// take the fast path in rsa.go; everything else goes through go-crypto.
func cryptoValid(pk *packet.PublicKey, sig *packet.Signature, payload []byte) bool {
	if pk.PubKeyAlgo != sig.PubKeyAlgo || !pk.CanSign() {
		return false
	}
	h, err := sig.PrepareVerify()
	if err != nil {
		return false
	}
	if sig.SigType == packet.SigTypeText {
		openpgp.NewCanonicalTextHash(h).Write(payload)
	} else {
		h.Write(payload)
	}
	rsaKey, isRSA := pk.PublicKey.(*rsa.PublicKey)
	if isRSA && sig.Version == 4 && sig.RSASignature != nil {
		h.Write(sig.HashSuffix) // the hashed trailer, as VerifySignature does
		return verifyPKCS1v15(rsaKey, sig.Hash, h.Sum(nil), sig.RSASignature.Bytes())
	}
	return pk.VerifySignature(h, sig) == nil
}

// revokedAt reports whether any revocation applies to a signature made at
// t: a hard revocation (no reason, key compromised, or an unknown reason)
// always does; a soft one (superseded, retired) only from its own date on.
func revokedAt(revocations []*packet.Signature, t time.Time) bool {
	for _, r := range revocations {
		if r.RevocationReason == nil {
			return true
		}
		switch *r.RevocationReason {
		case packet.KeySuperseded, packet.KeyRetired:
			if !t.Before(r.CreationTime) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// expiredAt reports whether pk, per its self or binding signature, was not
// valid at t: created later, or past its lifetime.
func expiredAt(pk *packet.PublicKey, binding *packet.Signature, t time.Time) bool {
	if binding == nil {
		return true
	}
	return pk.KeyExpired(binding, t)
}

// canSign reports whether the key may make data signatures: its flags say
// so, or it has no flags and its algorithm can sign (old keys); a subkey
// also needs a valid back-signature (see signingkey.SubkeyCanSign).
func canSign(c candidate) bool {
	if c.binding == nil {
		return false
	}
	if !c.primary {
		return signingkey.SubkeyCanSign(c.primaryKey, c.key, c.binding)
	}
	if c.binding.FlagsValid {
		return c.binding.FlagSign
	}
	return c.key.PubKeyAlgo.CanSign()
}
