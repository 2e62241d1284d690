package signingkey

import (
	"crypto/rsa"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// MaxSSHKeyLineSize bounds an uploaded SSH public key line (an RSA-16384 key
// is about 2.8 KB in base64).
const MaxSSHKeyLineSize = 16 << 10

// SSHKey is a parsed SSH signing public key.
type SSHKey struct {
	Type        string `json:"type"`        // ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, sk-...
	Fingerprint string `json:"fingerprint"` // "SHA256:..." as ssh-keygen -l prints it
	Comment     string `json:"comment"`
	BitLength   int    `json:"bit_length"`
	Key         string `json:"key"` // "type base64", without the comment

	pub ssh.PublicKey
}

// PublicKey returns the parsed key for signature verification; nil on keys
// decoded from JSON (use ParseSSH on Key).
func (k *SSHKey) PublicKey() ssh.PublicKey { return k.pub }

// sshTypes are the key types accepted for signing, with their bit length
// when fixed.
var sshTypes = map[string]int{
	ssh.KeyAlgoED25519:    256,
	ssh.KeyAlgoECDSA256:   256,
	ssh.KeyAlgoECDSA384:   384,
	ssh.KeyAlgoECDSA521:   521,
	ssh.KeyAlgoSKED25519:  256,
	ssh.KeyAlgoSKECDSA256: 256,
	ssh.KeyAlgoRSA:        0,
}

// ParseSSH parses one public key in authorized_keys format
// (`ssh-ed25519 AAAA... comment`). Options before the type are refused, as
// are private keys, DSA, RSA under 2048 bits, certificates and several keys.
func ParseSSH(line string) (*SSHKey, error) {
	if len(line) > MaxSSHKeyLineSize {
		return nil, keyErr(ErrTooLarge, fmt.Sprintf("%d bytes, limit %d", len(line), MaxSSHKeyLineSize))
	}
	if strings.Contains(line, "PRIVATE KEY") {
		return nil, keyErr(ErrPrivateKey, "this is a private key; upload the .pub file")
	}
	line = strings.TrimSpace(line)
	if strings.ContainsAny(line, "\r\n") {
		return nil, keyErr(ErrMultipleKeys, "one key per upload, on one line")
	}
	pub, comment, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, keyErr(ErrMalformed, "want \"TYPE BASE64 [COMMENT]\" as in a .pub file")
	}
	if len(options) > 0 {
		return nil, keyErr(ErrMalformed, "authorized_keys options are not allowed in a signing key")
	}
	typ := pub.Type()
	bits, ok := sshTypes[typ]
	if !ok {
		if typ == ssh.KeyAlgoDSA {
			return nil, keyErr(ErrWeakKey, "DSA (ssh-dss) keys are not accepted")
		}
		return nil, keyErr(ErrUnsupported, fmt.Sprintf("key type %q", typ))
	}
	if typ == ssh.KeyAlgoRSA {
		ck, ok := pub.(ssh.CryptoPublicKey)
		if !ok {
			return nil, keyErr(ErrMalformed, "unreadable RSA key")
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return nil, keyErr(ErrMalformed, "unreadable RSA key")
		}
		bits = rk.N.BitLen()
		if bits < MinRSABits {
			return nil, keyErr(ErrWeakKey, fmt.Sprintf("RSA key has %d bits, minimum %d", bits, MinRSABits))
		}
	}
	return &SSHKey{
		Type:        typ,
		Fingerprint: ssh.FingerprintSHA256(pub),
		Comment:     comment,
		BitLength:   bits,
		Key:         strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
		pub:         pub,
	}, nil
}
