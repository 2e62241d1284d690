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
	owners map[string]*ownerCall
}

type owner struct {
	accountID       string
	verified, found bool
}

// ownerCall is one email lookup, done or under way (prefetch).
type ownerCall struct {
	done chan struct{}
	owner
	err error
}

func newMemo(next signature.KeyDirectory) *memo {
	return &memo{next: next, gpg: map[uint64][]signature.UploadedGPGKey{},
		ssh: map[string][]signature.UploadedSSHKey{}, owners: map[string]*ownerCall{}}
}

// prefetchOwners starts the lookup of each email's owner, so that it runs
// while the signer's key is looked up instead of after: a signed object's
// check needs both, one after the other.
func (m *memo) prefetchOwners(ctx context.Context, emails []string) {
	for _, e := range emails {
		m.ownerCall(ctx, e)
	}
}

// ownerCall returns the lookup of email's owner, starting it if none is
// remembered; a failed lookup is forgotten, so the next asks again.
func (m *memo) ownerCall(ctx context.Context, email string) *ownerCall {
	k := strings.ToLower(email)
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.owners[k]; ok {
		return c
	}
	c := &ownerCall{done: make(chan struct{})}
	m.owners[k] = c
	go func() {
		defer close(c.done)
		c.accountID, c.verified, c.found, c.err = m.next.EmailOwner(ctx, email)
		if c.err != nil {
			m.mu.Lock()
			delete(m.owners, k)
			m.mu.Unlock()
		}
	}()
	return c
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
	c := m.ownerCall(ctx, email)
	select {
	case <-c.done:
	case <-ctx.Done():
		return "", false, false, ctx.Err()
	}
	if c.err != nil {
		return "", false, false, c.err
	}
	return c.accountID, c.verified, c.found, nil
}
