package signature

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"testing"
)

// TestVerifyPKCS1v15AgreesWithStdlib checks the fast path against crypto/rsa
// on good signatures and on every single-bit flip of signature and digest.
func TestVerifyPKCS1v15AgreesWithStdlib(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub := &key.PublicKey
	d256 := sha256.Sum256([]byte("payload"))
	d512 := sha512.Sum512([]byte("payload"))
	for _, tc := range []struct {
		h      crypto.Hash
		digest []byte
	}{{crypto.SHA256, d256[:]}, {crypto.SHA512, d512[:]}} {
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, tc.h, tc.digest)
		if err != nil {
			t.Fatal(err)
		}
		if !verifyPKCS1v15(pub, tc.h, tc.digest, sig) {
			t.Fatalf("%v: good signature rejected", tc.h)
		}
		if verifyPKCS1v15(pub, crypto.SHA384, tc.digest, sig) {
			t.Errorf("%v: accepted under the wrong hash", tc.h)
		}
		for i := 0; i < len(sig)*8; i += 7 {
			bad := append([]byte{}, sig...)
			bad[i/8] ^= 1 << (i % 8)
			std := rsa.VerifyPKCS1v15(pub, tc.h, tc.digest, bad) == nil
			if got := verifyPKCS1v15(pub, tc.h, tc.digest, bad); got != std {
				t.Fatalf("%v bit %d: got %v, crypto/rsa %v", tc.h, i, got, std)
			}
		}
		for i := 0; i < len(tc.digest)*8; i++ {
			bad := append([]byte{}, tc.digest...)
			bad[i/8] ^= 1 << (i % 8)
			if verifyPKCS1v15(pub, tc.h, bad, sig) {
				t.Fatalf("%v: accepted a changed digest", tc.h)
			}
		}
		// Leading zeros stripped from the signature MPI must still verify.
		if !verifyPKCS1v15(pub, tc.h, tc.digest, trimZeros(sig)) {
			t.Errorf("%v: rejected an MPI without leading zeros", tc.h)
		}
	}
	if verifyPKCS1v15(pub, crypto.SHA256, d256[:], make([]byte, 300)) {
		t.Error("accepted an oversize signature")
	}
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
