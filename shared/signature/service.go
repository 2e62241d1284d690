package signature

import (
	"context"

	"github.com/hubsec/trustlayer/shared/signingkey"
)

// ServiceAccount is the account id under which the service's own SSH
// signing key is known: the key that signs the commits the service makes
// (the commit API, as GitHub signs web commits). No user account has this
// id (theirs are random hex).
const ServiceAccount = "trustlayer-service"

// ReasonSignedByService: a valid signature by the service's own key, on a
// commit the service made for a user through the commit API. It counts as
// verified; the author line names the user, the committer the service.
const ReasonSignedByService Reason = "signed_by_service"

func init() { progress[ReasonSignedByService] = progress[ReasonValid] }

// WithServiceKey returns keys with the service's SSH signing key (an
// authorized_keys line) added under ServiceAccount. With authorizedKey
// empty or unparsable it returns keys unchanged and ok false.
func WithServiceKey(keys KeyDirectory, authorizedKey string) (KeyDirectory, bool) {
	k, err := signingkey.ParseSSH(authorizedKey)
	if authorizedKey == "" || err != nil {
		return keys, false
	}
	return serviceKeys{KeyDirectory: keys, fp: k.Fingerprint, line: authorizedKey}, true
}

type serviceKeys struct {
	KeyDirectory
	fp, line string
}

func (s serviceKeys) SSHKeysByFingerprint(ctx context.Context, fp string) ([]UploadedSSHKey, error) {
	out, err := s.KeyDirectory.SSHKeysByFingerprint(ctx, fp)
	if err != nil || fp != s.fp {
		return out, err
	}
	return append([]UploadedSSHKey{{AccountID: ServiceAccount, Key: s.line}}, out...), nil
}
