// Package token generates, recognises, hashes and masks the secrets the hub
// hands out: user access tokens, organization API tokens, session
// credentials and email verification codes.
//
// Token format (user, org and session kinds): a fixed prefix, then 34 ASCII
// letters. The first 28 letters are random, drawn uniformly from [A-Za-z] with
// crypto/rand (28·log2(52) ≈ 159.6 bits). The last 6 letters are the CRC-32
// (IEEE polynomial, as hash/crc32.ChecksumIEEE) of the prefix and the 28
// random letters, written in base 52 most significant digit first, zero-padded
// to 6 digits, with the digit alphabet in ASCII order:
//
//	A..Z = 0..25, a..z = 26..51
//
// 52^6 ≈ 1.98e10 > 2^32, so every checksum fits; the first checksum letter is
// therefore always in A..L. The checksum lets Parse reject a mistyped or
// made-up token without touching the database, and lets secret scanners
// (which already match hf_[A-Za-z]{34}) confirm a hit offline.
//
// Email verification codes are 8 decimal digits without a checksum: they are
// typed by hand from an email and are protected by a per-account attempt
// limit and a short expiry, not by their entropy.
package token

import (
	"crypto/rand"
	"errors"
	"io"
)

// Kind is the kind of a secret.
type Kind uint8

// The kinds of secret. The zero Kind is invalid.
const (
	KindInvalid   Kind = iota
	KindUser           // user access token: "hf_" + 34 letters
	KindOrg            // organization API token: "api_org_" + 34 letters
	KindSession        // browser session credential: "hfs_" + 34 letters
	KindEmailCode      // email verification code: 8 digits
)

// Prefixes of the token kinds.
const (
	PrefixUser    = "hf_"
	PrefixOrg     = "api_org_"
	PrefixSession = "hfs_"
)

// Lengths of the parts of a token and of an email code.
const (
	BodyLen     = 34 // letters after the prefix
	RandomLen   = 28 // random letters at the start of the body
	ChecksumLen = 6  // base-52 CRC-32 letters at the end of the body
	CodeLen     = 8  // digits of an email verification code
)

// Alphabet is the token letter alphabet; a letter's index is its base-52
// digit value in the checksum.
const Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const digits = "0123456789"

// String returns the kind's name: user, org, session, email_code or invalid.
func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindOrg:
		return "org"
	case KindSession:
		return "session"
	case KindEmailCode:
		return "email_code"
	}
	return "invalid"
}

// Prefix returns the kind's token prefix, or "" for kinds without one.
func (k Kind) Prefix() string {
	switch k {
	case KindUser:
		return PrefixUser
	case KindOrg:
		return PrefixOrg
	case KindSession:
		return PrefixSession
	}
	return ""
}

// Len returns the length in bytes of a secret of this kind, or 0 for
// KindInvalid.
func (k Kind) Len() int {
	switch k {
	case KindUser, KindOrg, KindSession:
		return len(k.Prefix()) + BodyLen
	case KindEmailCode:
		return CodeLen
	}
	return 0
}

// ErrUnknownKind is returned by Generate for a Kind it does not know.
var ErrUnknownKind = errors.New("token: unknown kind")

// Generate returns a new random secret of the given kind.
func Generate(k Kind) (Secret, error) {
	return generate(rand.Reader, k)
}

func generate(r io.Reader, k Kind) (Secret, error) {
	switch k {
	case KindUser, KindOrg, KindSession:
		p := k.Prefix()
		b := make([]byte, len(p)+BodyLen)
		copy(b, p)
		if err := fillUniform(r, b[len(p):len(p)+RandomLen], Alphabet); err != nil {
			return Secret{}, err
		}
		var c [ChecksumLen]byte
		encodeChecksum(&c, checksum(string(b[:len(p)+RandomLen])))
		copy(b[len(p)+RandomLen:], c[:])
		return Secret{kind: k, value: string(b)}, nil
	case KindEmailCode:
		b := make([]byte, CodeLen)
		if err := fillUniform(r, b, digits); err != nil {
			return Secret{}, err
		}
		return Secret{kind: k, value: string(b)}, nil
	}
	return Secret{}, ErrUnknownKind
}

// fillUniform fills dst with symbols drawn uniformly from alphabet
// (len(alphabet) <= 256) by rejection sampling: a random byte b is used only
// if b < limit, the largest multiple of len(alphabet) not above 256, so
// b % len(alphabet) has no modulo bias.
func fillUniform(r io.Reader, dst []byte, alphabet string) error {
	n := len(alphabet)
	limit := 256 - 256%n
	var buf [64]byte
	i := 0
	for i < len(dst) {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return errors.Join(errors.New("token: read random bytes"), err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			dst[i] = alphabet[int(b)%n]
			i++
			if i == len(dst) {
				break
			}
		}
	}
	return nil
}
