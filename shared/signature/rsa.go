package signature

import (
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"math/big"
)

// RSA verification fast path.
//
// crypto/rsa (Go 1.24+) verifies with constant-time FIPS arithmetic and
// rebuilds the modulus' Montgomery constants on every call, which made
// RSA-3072 commit verification ~4x slower than ed25519 and most of a push's
// CPU. Verification uses only public values, so variable-time math/big is
// safe here. Like crypto/rsa we never parse the decoded block: we build the
// exact expected EMSA-PKCS1-v1_5 encoding and compare it whole, the design
// that avoids Bleichenbacher-style parsing flaws. rsa_test.go checks it
// agrees with crypto/rsa.

// digestInfoPrefixes are the DER DigestInfo prefixes from RFC 8017 §9.2
// (the same table as crypto/rsa), without SHA-1: see weakHashes.
var digestInfoPrefixes = map[crypto.Hash][]byte{
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// verifyPKCS1v15 reports whether sig is a valid RSASSA-PKCS1-v1_5 signature
// of digest (made with hash h) under pub.
func verifyPKCS1v15(pub *rsa.PublicKey, h crypto.Hash, digest, sig []byte) bool {
	prefix, ok := digestInfoPrefixes[h]
	if !ok || pub == nil || pub.N == nil || pub.E < 3 || pub.E&1 == 0 || len(digest) != h.Size() {
		return false
	}
	k := (pub.N.BitLen() + 7) / 8
	tLen := len(prefix) + len(digest)
	if len(sig) > k || k < tLen+11 {
		return false
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return false
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	want := make([]byte, k)
	want[1] = 0x01
	for i := 2; i < k-tLen-1; i++ {
		want[i] = 0xff
	}
	copy(want[k-tLen:], prefix)
	copy(want[k-len(digest):], digest)
	return subtle.ConstantTimeCompare(em, want) == 1
}
