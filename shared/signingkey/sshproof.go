package signingkey

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// ProofNamespace is the SSHSIG namespace of a proof of possession (the -n
// of `ssh-keygen -Y sign`). It differs from git's "git", so no commit
// signature can be replayed as a proof, nor a proof as a commit signature.
const ProofNamespace = "trustlayer-ssh-key"

// MaxProofSize bounds an armored proof signature (an RSA-16384 SSHSIG is
// under 5 KiB armored).
const MaxProofSize = 16 << 10

// ErrNoProof is what a *KeyError for a missing or wrong proof unwraps to.
var ErrNoProof = errors.New("no proof of possession")

// VerifyProof checks that armoredSig is an SSHSIG made with k's private key
// in ProofNamespace over message, or over message and one newline (what
// `echo ID | ssh-keygen -Y sign` signs). Every failure is a *KeyError that
// says what to do.
func (k *SSHKey) VerifyProof(message, armoredSig string) error {
	how := fmt.Sprintf("sign your account id with this key: printf %%s %s | ssh-keygen -Y sign -n %s -f KEYFILE", message, ProofNamespace)
	if armoredSig == "" {
		return keyErr(ErrNoProof, "signature is required; "+how)
	}
	if len(armoredSig) > MaxProofSize {
		return keyErr(ErrNoProof, fmt.Sprintf("signature is %d bytes, limit %d", len(armoredSig), MaxProofSize))
	}
	sig, err := sshsig.Unarmor([]byte(armoredSig))
	if err != nil || sig.PublicKey == nil {
		return keyErr(ErrNoProof, "signature is not an armored SSH signature (-----BEGIN SSH SIGNATURE-----); "+how)
	}
	if sig.Namespace != ProofNamespace {
		return keyErr(ErrNoProof, fmt.Sprintf("signature namespace is %q, want %q; %s", sig.Namespace, ProofNamespace, how))
	}
	if !bytes.Equal(sig.PublicKey.Marshal(), k.pub.Marshal()) {
		return keyErr(ErrNoProof, fmt.Sprintf("signature was made by key %s, not by the uploaded key %s", ssh.FingerprintSHA256(sig.PublicKey), k.Fingerprint))
	}
	for _, m := range []string{message, message + "\n"} {
		if sshsig.Verify(bytes.NewReader([]byte(m)), sig, k.pub, sig.HashAlgorithm, ProofNamespace) == nil {
			return nil
		}
	}
	return keyErr(ErrNoProof, "signature does not verify over your account id; "+how)
}
