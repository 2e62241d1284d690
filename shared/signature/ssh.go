package signature

import (
	"bytes"
	"fmt"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"

	"github.com/hubsec/trustlayer/shared/signingkey"
)

// sshNamespace is the namespace git signs with (`ssh-keygen -Y sign -n git`).
const sshNamespace = "git"

// verifySSH judges an SSH signature (SSHSIG) over payload.
func (c *checker) verifySSH(res *Result, payload, armored []byte) error {
	sig, err := sshsig.Unarmor(armored)
	if err != nil || sig.PublicKey == nil {
		res.setReason(ReasonMalformedSignature)
		return nil
	}
	if sig.HashAlgorithm != sshsig.HashSHA256 && sig.HashAlgorithm != sshsig.HashSHA512 {
		res.setReason(ReasonMalformedSignature)
		return nil
	}
	fp := ssh.FingerprintSHA256(sig.PublicKey)
	res.SignerFingerprint = fp
	uploaded, err := c.keys.SSHKeysByFingerprint(c.ctx, fp)
	if err != nil {
		return fmt.Errorf("look up SSH key %s: %w", fp, err)
	}
	best := ReasonUnknownKey
	for _, up := range uploaded {
		k, err := signingkey.ParseSSH(up.Key)
		if err != nil || k.Fingerprint != fp {
			continue
		}
		reason := ReasonInvalid
		if sig.Namespace == sshNamespace &&
			sshsig.Verify(bytes.NewReader(payload), sig, k.PublicKey(), sig.HashAlgorithm, sshNamespace) == nil {
			if reason, err = c.accountReason(up.AccountID); err != nil {
				return err
			}
		}
		if better(reason, best) {
			best = reason
			res.AccountID = up.AccountID
		}
	}
	if best == ReasonUnknownKey || best == ReasonInvalid {
		res.AccountID = ""
	}
	res.setReason(best)
	return nil
}
