package signingkey

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// MaxArmoredKeySize bounds an uploaded armored OpenPGP key. Keys with many
// third-party certifications reach tens of kilobytes; a megabyte is ample.
const MaxArmoredKeySize = 1 << 20

// MinRSABits is the smallest RSA, DSA or ElGamal modulus accepted.
const MinRSABits = 2048

// Email is a user-id email of an OpenPGP key. Verified is always false from
// this package: only the account layer knows which emails are verified.
type Email struct {
	Email    string `json:"email"`
	Verified bool   `json:"verified"`
}

// GPGKey is a parsed OpenPGP public key (the primary key) or one of its
// subkeys. JSON names follow GitHub's GPG key API where they overlap;
// primary_key_id is the primary's key id (GitHub uses its database id).
type GPGKey struct {
	KeyID             string     `json:"key_id"`                   // 16 upper-case hex digits
	PrimaryKeyID      string     `json:"primary_key_id,omitempty"` // set on subkeys only
	Fingerprint       string     `json:"fingerprint"`              // 40 (v4) or 64 (v6) upper-case hex digits
	Algorithm         string     `json:"algorithm"`                // rsa, dsa, ecdsa, eddsa, ed25519, ...
	Curve             string     `json:"curve,omitempty"`          // for elliptic-curve keys
	BitLength         int        `json:"bit_length"`
	PublicKey         string     `json:"public_key"` // base64 of the public key packet
	Emails            []Email    `json:"emails"`
	Subkeys           []GPGKey   `json:"subkeys"`
	CanSign           bool       `json:"can_sign"`
	CanCertify        bool       `json:"can_certify"`
	CanEncryptComms   bool       `json:"can_encrypt_comms"`
	CanEncryptStorage bool       `json:"can_encrypt_storage"`
	CreatedAt         time.Time  `json:"created_at"`
	ExpiresAt         *time.Time `json:"expires_at"`
	Revoked           bool       `json:"revoked"`
	RevokedAt         *time.Time `json:"revoked_at,omitempty"`
	RawKey            string     `json:"raw_key,omitempty"` // the armored upload, primary only

	entity *openpgp.Entity
}

// Entity returns the go-crypto entity the key was parsed from, for
// signature verification. It is nil on subkeys and on keys decoded from JSON.
func (k *GPGKey) Entity() *openpgp.Entity { return k.entity }

// HasEmail reports whether email is one of the key's user-id emails,
// compared case-insensitively.
func (k *GPGKey) HasEmail(email string) bool {
	for _, e := range k.Emails {
		if strings.EqualFold(e.Email, email) {
			return true
		}
	}
	return false
}

// ParseGPG parses one armored OpenPGP public key. Private keys, several
// primary keys, garbage, weak and unsupported algorithms are refused with a
// *KeyError. Expired and revoked keys are returned, marked.
func ParseGPG(armored string) (*GPGKey, error) {
	if len(armored) > MaxArmoredKeySize {
		return nil, keyErr(ErrTooLarge, fmt.Sprintf("%d bytes, limit %d", len(armored), MaxArmoredKeySize))
	}
	if strings.Contains(armored, "PRIVATE KEY") {
		return nil, keyErr(ErrPrivateKey, "this is a private key; upload the public key (gpg --armor --export KEYID)")
	}
	if n := strings.Count(armored, "-----BEGIN PGP "); n > 1 {
		return nil, keyErr(ErrMultipleKeys, fmt.Sprintf("%d armor blocks; upload one key at a time", n))
	}
	block, err := armor.Decode(strings.NewReader(armored))
	if err != nil {
		return nil, keyErr(ErrNotPublicKey, "no valid \"-----BEGIN PGP PUBLIC KEY BLOCK-----\" armor")
	}
	if block.Type != openpgp.PublicKeyType {
		return nil, keyErr(ErrNotPublicKey, fmt.Sprintf("armor type is %q, want %q", block.Type, openpgp.PublicKeyType))
	}
	body, err := io.ReadAll(io.LimitReader(block.Body, MaxArmoredKeySize))
	if err != nil {
		return nil, keyErr(ErrNotPublicKey, "armor body: "+err.Error())
	}
	if err := scanPackets(body); err != nil {
		return nil, err
	}
	list, err := openpgp.ReadKeyRing(bytes.NewReader(body))
	if err != nil {
		return nil, classify(err)
	}
	if len(list) != 1 {
		return nil, keyErr(ErrMultipleKeys, fmt.Sprintf("%d primary keys", len(list)))
	}
	k, err := fromEntity(list[0])
	if err != nil {
		return nil, err
	}
	k.RawKey = armored
	return k, nil
}

// scanPackets walks the packets without interpreting them: it refuses secret
// key packets anywhere, counts primary keys and checks the primary key's
// algorithm so the uploader gets a precise message.
func scanPackets(body []byte) error {
	r := packet.NewOpaqueReader(bytes.NewReader(body))
	primaries := 0
	for i := 0; ; i++ {
		op, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return keyErr(ErrMalformed, "packet "+fmt.Sprint(i+1)+": "+err.Error())
		}
		switch op.Tag {
		case 5, 7: // secret key, secret subkey
			return keyErr(ErrPrivateKey, "the key contains secret key packets; upload the public key only")
		case 6: // public key
			primaries++
			if primaries > 1 {
				return keyErr(ErrMultipleKeys, "several primary keys in one upload; upload one key at a time")
			}
			if err := checkPrimaryPacket(op); err != nil {
				return err
			}
		default:
			if i == 0 {
				return keyErr(ErrMalformed, fmt.Sprintf("first packet has tag %d, want a public key", op.Tag))
			}
		}
	}
	if primaries == 0 {
		return keyErr(ErrMalformed, "no public key packet")
	}
	return nil
}

// checkPrimaryPacket refuses primary keys that cannot sign (ElGamal, RSA
// encrypt-only, ECDH) before go-crypto gives a vaguer error.
func checkPrimaryPacket(op *packet.OpaquePacket) error {
	p, err := op.Parse()
	if err != nil {
		return classify(err)
	}
	pk, ok := p.(*packet.PublicKey)
	if !ok {
		return keyErr(ErrMalformed, "unreadable primary key packet")
	}
	if !pk.PubKeyAlgo.CanSign() {
		return keyErr(ErrUnsupported, fmt.Sprintf("primary key algorithm %s cannot sign or certify", algoName(pk.PubKeyAlgo)))
	}
	return nil
}

// classify maps go-crypto errors to KeyErrors.
func classify(err error) error {
	var unsupported pgperrors.UnsupportedError
	if errors.As(err, &unsupported) {
		return keyErr(ErrUnsupported, string(unsupported))
	}
	return keyErr(ErrMalformed, err.Error())
}

// fromEntity turns a parsed entity into a GPGKey, enforcing strength rules
// on the primary key and every subkey.
func fromEntity(e *openpgp.Entity) (*GPGKey, error) {
	selfSig, _ := e.PrimarySelfSignature()
	if selfSig == nil {
		return nil, keyErr(ErrMalformed, "no valid self-signature on any user id")
	}
	k, err := describe(e.PrimaryKey, selfSig, e.Revocations)
	if err != nil {
		return nil, err
	}
	k.entity = e
	k.Emails = emails(e)
	k.Subkeys = []GPGKey{}
	for _, sub := range e.Subkeys {
		sk, err := describe(sub.PublicKey, sub.Sig, sub.Revocations)
		if err != nil {
			return nil, fmt.Errorf("subkey %s: %w", sub.PublicKey.KeyIdString(), err)
		}
		sk.PrimaryKeyID = k.KeyID
		// A subkey signs only with a valid back-signature: without one, the
		// binding proves nothing about who holds the subkey.
		sk.CanSign = SubkeyCanSign(e.PrimaryKey, sub.PublicKey, sub.Sig)
		sk.Emails = []Email{}
		sk.Subkeys = nil
		k.Subkeys = append(k.Subkeys, *sk)
	}
	return k, nil
}

// describe fills the fields shared by primary keys and subkeys.
func describe(pk *packet.PublicKey, sig *packet.Signature, revocations []*packet.Signature) (*GPGKey, error) {
	bits, _ := pk.BitLength()
	k := &GPGKey{
		KeyID:       fmt.Sprintf("%016X", pk.KeyId),
		Fingerprint: fmt.Sprintf("%X", pk.Fingerprint),
		Algorithm:   algoName(pk.PubKeyAlgo),
		BitLength:   int(bits),
		CreatedAt:   pk.CreationTime.UTC(),
	}
	if c, err := pk.Curve(); err == nil {
		k.Curve = string(c)
		k.BitLength = curveBits[c] // the MPI length of an EC point says nothing
	}
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly,
		packet.PubKeyAlgoDSA, packet.PubKeyAlgoElGamal:
		if k.BitLength < MinRSABits {
			return nil, keyErr(ErrWeakKey, fmt.Sprintf("%s key %s has %d bits, minimum %d", k.Algorithm, k.KeyID, k.BitLength, MinRSABits))
		}
	}
	var buf bytes.Buffer
	if err := pk.Serialize(&buf); err == nil {
		k.PublicKey = base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	if sig.FlagsValid {
		k.CanSign, k.CanCertify = sig.FlagSign, sig.FlagCertify
		k.CanEncryptComms, k.CanEncryptStorage = sig.FlagEncryptCommunications, sig.FlagEncryptStorage
	} else {
		// No key flags subpacket (old keys): what the algorithm allows.
		k.CanSign, k.CanCertify = pk.PubKeyAlgo.CanSign(), pk.PubKeyAlgo.CanSign()
		k.CanEncryptComms, k.CanEncryptStorage = pk.PubKeyAlgo.CanEncrypt(), pk.PubKeyAlgo.CanEncrypt()
	}
	if sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs != 0 {
		exp := pk.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC()
		k.ExpiresAt = &exp
	}
	for _, r := range revocations {
		at := r.CreationTime.UTC()
		if k.RevokedAt == nil || at.Before(*k.RevokedAt) {
			k.RevokedAt = &at
		}
		k.Revoked = true
	}
	return k, nil
}

// emails lists the emails of the user ids that carry a valid self-signature
// and are not revoked, sorted and without duplicates.
func emails(e *openpgp.Entity) []Email {
	seen := map[string]bool{}
	out := []Email{}
	for _, id := range e.Identities {
		if id.SelfSignature == nil || len(id.Revocations) > 0 || id.UserId == nil {
			continue
		}
		email := UIDEmail(id.UserId.Id)
		if email == "" || seen[strings.ToLower(email)] {
			continue
		}
		seen[strings.ToLower(email)] = true
		out = append(out, Email{Email: email})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}

// UIDEmail is the email of an OpenPGP user id as gpg reads it: the text of
// its last <...> ("Alice <b>x</b> <alice@example.org>" is
// alice@example.org, where go-crypto's parser stops at the first "<" and
// says "b"), or the whole user id when it is a bare address. "" when the
// user id names no address.
func UIDEmail(uid string) string {
	uid = strings.TrimSpace(uid)
	if open := strings.LastIndexByte(uid, '<'); open >= 0 {
		rest := uid[open+1:]
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return ""
		}
		return mailbox(strings.TrimSpace(rest[:end]))
	}
	return mailbox(uid)
}

// mailbox returns s when it looks like one address (local@domain, no
// spaces or brackets), else "".
func mailbox(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t<>()\"\r\n,;") {
		return ""
	}
	return s
}

// curveBits is the security size of each curve, as gpg lists it.
var curveBits = map[packet.Curve]int{
	packet.Curve25519: 255, packet.Curve448: 448,
	packet.CurveNistP256: 256, packet.CurveNistP384: 384, packet.CurveNistP521: 521,
	packet.CurveSecP256k1: 256, packet.CurveBrainpoolP256: 256,
	packet.CurveBrainpoolP384: 384, packet.CurveBrainpoolP512: 512,
}

// algoName names an OpenPGP public-key algorithm.
func algoName(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly:
		return "rsa"
	case packet.PubKeyAlgoDSA:
		return "dsa"
	case packet.PubKeyAlgoElGamal:
		return "elgamal"
	case packet.PubKeyAlgoECDSA:
		return "ecdsa"
	case packet.PubKeyAlgoECDH:
		return "ecdh"
	case packet.PubKeyAlgoEdDSA:
		return "eddsa"
	case packet.PubKeyAlgoEd25519:
		return "ed25519"
	case packet.PubKeyAlgoEd448:
		return "ed448"
	case packet.PubKeyAlgoX25519:
		return "x25519"
	case packet.PubKeyAlgoX448:
		return "x448"
	}
	return fmt.Sprintf("algorithm-%d", a)
}
