package signature

import (
	"crypto/sha256"
	"sync"

	"github.com/hubsec/trustlayer/shared/signingkey"
)

// KeyCacheSize bounds the number of parsed OpenPGP keys kept in process.
const KeyCacheSize = 4096

// keyCache maps the SHA-256 of an armored key to its parse result.
var keyCache = struct {
	sync.RWMutex
	m map[[32]byte]cachedKey
}{m: map[[32]byte]cachedKey{}}

type cachedKey struct {
	key *signingkey.GPGKey
	err error
}

// parseGPGCached parses armored with signingkey.ParseGPG, remembering the
// outcome (errors too: a bad stored key stays bad).
func parseGPGCached(armored string) (*signingkey.GPGKey, error) {
	sum := sha256.Sum256([]byte(armored))
	keyCache.RLock()
	c, ok := keyCache.m[sum]
	keyCache.RUnlock()
	if ok {
		return c.key, c.err
	}
	k, err := signingkey.ParseGPG(armored)
	keyCache.Lock()
	if len(keyCache.m) >= KeyCacheSize {
		for victim := range keyCache.m { // map order is random enough
			delete(keyCache.m, victim)
			break
		}
	}
	keyCache.m[sum] = cachedKey{key: k, err: err}
	keyCache.Unlock()
	return k, err
}
