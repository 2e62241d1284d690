package commitverify

import (
	"context"
	"strings"
	"sync"

	"github.com/hubsec/trustlayer/shared/signature"
)

// memo is a KeyDirectory that remembers answers for one request, so a push
// of many commits by one signer costs one key lookup and one email lookup.
// Errors are not remembered.
type memo struct {
	next signature.KeyDirectory

	mu     sync.Mutex
	gpg    map[uint64][]signature.UploadedGPGKey
	ssh    map[string][]signature.UploadedSSHKey
	owners map[string]owner
}

type owner struct {
	accountID       string
	verified, found bool
}

func newMemo(next signature.KeyDirectory) *memo {
	return &memo{next: next, gpg: map[uint64][]signature.UploadedGPGKey{},
		ssh: map[string][]signature.UploadedSSHKey{}, owners: map[string]owner{}}
}

func (m *memo) GPGKeysByID(ctx context.Context, keyID uint64) ([]signature.UploadedGPGKey, error) {
	m.mu.Lock()
	v, ok := m.gpg[keyID]
	m.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := m.next.GPGKeysByID(ctx, keyID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.gpg[keyID] = v
	m.mu.Unlock()
	return v, nil
}

func (m *memo) SSHKeysByFingerprint(ctx context.Context, fpr string) ([]signature.UploadedSSHKey, error) {
	m.mu.Lock()
	v, ok := m.ssh[fpr]
	m.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := m.next.SSHKeysByFingerprint(ctx, fpr)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.ssh[fpr] = v
	m.mu.Unlock()
	return v, nil
}

func (m *memo) EmailOwner(ctx context.Context, email string) (string, bool, bool, error) {
	k := strings.ToLower(email)
	m.mu.Lock()
	o, ok := m.owners[k]
	m.mu.Unlock()
	if ok {
		return o.accountID, o.verified, o.found, nil
	}
	id, verified, found, err := m.next.EmailOwner(ctx, email)
	if err != nil {
		return "", false, false, err
	}
	m.mu.Lock()
	m.owners[k] = owner{id, verified, found}
	m.mu.Unlock()
	return id, verified, found, nil
}
