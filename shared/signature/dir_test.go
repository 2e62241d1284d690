package signature_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/signature"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// fakeDir is an in-memory KeyDirectory.
type fakeDir struct {
	gpg    map[uint64][]signature.UploadedGPGKey
	ssh    map[string][]signature.UploadedSSHKey
	emails map[string]owner
}

type owner struct {
	account  string
	verified bool
}

var _ signature.KeyDirectory = (*fakeDir)(nil)

func newDir() *fakeDir {
	return &fakeDir{gpg: map[uint64][]signature.UploadedGPGKey{}, ssh: map[string][]signature.UploadedSSHKey{}, emails: map[string]owner{}}
}

// addGPG indexes an armored key under its primary and subkey ids.
func (d *fakeDir) addGPG(t testing.TB, account, armored string) {
	t.Helper()
	k, err := signingkey.ParseGPG(armored)
	if err != nil {
		t.Fatal(err)
	}
	up := signature.UploadedGPGKey{AccountID: account, ArmoredKey: armored}
	d.gpg[k.Entity().PrimaryKey.KeyId] = append(d.gpg[k.Entity().PrimaryKey.KeyId], up)
	for _, s := range k.Entity().Subkeys {
		d.gpg[s.PublicKey.KeyId] = append(d.gpg[s.PublicKey.KeyId], up)
	}
}

func (d *fakeDir) addSSH(t testing.TB, account, line string) {
	t.Helper()
	k, err := signingkey.ParseSSH(line)
	if err != nil {
		t.Fatal(err)
	}
	d.ssh[k.Fingerprint] = append(d.ssh[k.Fingerprint], signature.UploadedSSHKey{AccountID: account, Key: k.Key})
}

// with returns a copy of d with email owned as given (account "" removes it).
func (d *fakeDir) with(email, account string, verified bool) *fakeDir {
	c := &fakeDir{gpg: d.gpg, ssh: d.ssh, emails: map[string]owner{}}
	for k, v := range d.emails {
		c.emails[k] = v
	}
	if account == "" {
		delete(c.emails, email)
	} else {
		c.emails[email] = owner{account, verified}
	}
	return c
}

func (d *fakeDir) GPGKeysByID(_ context.Context, id uint64) ([]signature.UploadedGPGKey, error) {
	return d.gpg[id], nil
}

func (d *fakeDir) SSHKeysByFingerprint(_ context.Context, fp string) ([]signature.UploadedSSHKey, error) {
	return d.ssh[fp], nil
}

func (d *fakeDir) EmailOwner(_ context.Context, email string) (string, bool, bool, error) {
	o, ok := d.emails[strings.ToLower(email)]
	return o.account, o.verified, ok, nil
}
