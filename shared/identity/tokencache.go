package identity

import "sync"

// tokenCacheMax bounds the tokens a Service remembers.
const tokenCacheMax = 4096

// tokenCache remembers the tokens this process last saw (created, listed,
// read or refreshed), so that refresh and delete can go straight to their
// one conditional transaction. It is only a guess: the transaction's
// condition (the listing item under the caller still holds the remembered
// hash) is what decides, and a stale entry costs one retry with the state
// the failed condition returns. Only immutable metadata and the hash, which
// is not a secret, are kept.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]Token
}

func tokenKey(userID, id string) string { return userID + "/" + id }

func (c *tokenCache) get(userID, id string) (Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[tokenKey(userID, id)]
	return t, ok
}

func (c *tokenCache) put(t Token) {
	if t.ID == "" || t.UserID == "" || t.Hash == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]Token)
	}
	k := tokenKey(t.UserID, t.ID)
	if _, ok := c.m[k]; !ok && len(c.m) >= tokenCacheMax {
		for old := range c.m { // evict one entry, any
			delete(c.m, old)
			break
		}
	}
	c.m[k] = t
}

func (c *tokenCache) drop(userID, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, tokenKey(userID, id))
}
