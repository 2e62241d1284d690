package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// Hash returns the storage and lookup key of a token or session secret: the
// lowercase hex SHA-256 of the whole secret, prefix included (64 characters).
// Only this value is stored.
//
// A fast unkeyed hash is the right tool here, unlike for passwords: a token
// carries about 159 random bits, so inverting the hash by guessing is out of
// reach however fast the hash is, and a slow hash would only slow the
// authorizer's hot path. No pepper is used, so every function (authorizer,
// the leaked-credentials revoke endpoint, a future secret-scanning partner)
// derives the same key without sharing a key, and there is no key rotation
// that would invalidate every token. The output is stable: changing it
// invalidates every stored token.
func Hash(secret string) string {
	var sum [sha256.Size]byte
	if len(secret) <= 64 {
		// Every token fits: hash from a stack copy to save a heap allocation
		// on the authorizer's hot path.
		var buf [64]byte
		n := copy(buf[:], secret)
		sum = sha256.Sum256(buf[:n])
	} else {
		sum = sha256.Sum256([]byte(secret))
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// CodeHash returns the stored form of an email verification code for one
// account: hex HMAC-SHA256 keyed by pepper over "email-code", account and
// code. Codes have only about 27 bits, so unlike tokens their hash must not
// be reversible by enumeration from a table dump: the pepper (a server-side
// secret supplied by config; may be nil in tests) prevents that, and binding
// the account stops a code issued to one account from matching another's.
// The attempt limit and the code's expiry remain the main defence.
func CodeHash(pepper []byte, account, code string) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte("email-code\x00"))
	m.Write([]byte(account))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// Equal reports whether a and b are equal, in time that depends only on
// their lengths. Use it to compare hashes and codes; lengths are public
// (hashes are fixed-length).
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
