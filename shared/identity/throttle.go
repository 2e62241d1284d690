package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// loginCounts is what throttleLogin took, to give back on success.
type loginCounts struct {
	taken        []rateKey
	accountCount int  // the account's count in the window
	burst        bool // this attempt reached a limit: worth an audit event
}

type rateKey struct {
	key    string
	window time.Duration
}

// throttleLogin counts one login attempt on acct from sourceIP before the
// password is checked, each count a conditional write, so N concurrent
// guesses get at most the limit of evaluations:
//
//   - per source address over all accounts (LoginFailPerSource) and per
//     account and source address (LoginFailPerAddress): past either, 429;
//   - per account over all addresses (LoginFailPerAccount): past it the
//     account is slowed to one attempt per LoginSlowInterval, not locked.
//
// So failures from an attacker's address throttle that address, and the
// owner still gets in from another one. A successful login gives its
// counts back (releaseLogin).
func (s *Service) throttleLogin(ctx context.Context, acct, sourceIP string, now time.Time) (loginCounts, error) {
	var t loginCounts
	limited := apperr.E(apperr.RateLimited, "Too many failed logins; try again later")
	ipKey := "login:ip:" + sourceIP
	take := func(key string, limit int, w time.Duration) (int, bool, error) {
		n, ok, err := s.Store.Take(ctx, key, limit, w, now)
		if err != nil {
			return 0, false, fmt.Errorf("rate counter: %w", err)
		}
		if ok {
			t.taken = append(t.taken, rateKey{key, w})
			t.burst = t.burst || (n == limit && key != ipKey)
		}
		return n, ok, nil
	}
	if _, ok, err := take(ipKey, LoginFailPerSource, LoginFailWindow); err != nil || !ok {
		return t, firstErr(err, limited)
	}
	if _, ok, err := take("login:acct-ip:"+acct+"|"+sourceIP, LoginFailPerAddress, LoginFailWindow); err != nil || !ok {
		return t, firstErr(err, limited)
	}
	n, ok, err := take("login:acct:"+acct, LoginFailPerAccount, LoginFailWindow)
	if err != nil {
		return t, err
	}
	t.accountCount = n
	if ok {
		return t, nil
	}
	if _, ok, err := take("login:acct-slow:"+acct, 1, LoginSlowInterval); err != nil || !ok {
		return t, firstErr(err, limited)
	}
	return t, nil
}

// releaseLogin gives back the counts of a successful login. A failure
// only leaves the counts a little high; it is not worth failing the login.
func (s *Service) releaseLogin(ctx context.Context, t loginCounts, now time.Time) {
	for _, k := range t.taken {
		if err := s.Store.Release(ctx, k.key, k.window, now); err != nil && s.Log != nil {
			s.Log.WarnContext(ctx, "release login count", "err", err)
		}
	}
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
