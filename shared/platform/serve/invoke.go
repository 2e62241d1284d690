package serve

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// The invoke path runs the handler with whatever event the caller posts,
// authorizer context included: whoever reaches it can act as anyone. So it
// exists only for the local stack, which turns it on with a per-stack
// secret (InvokeSecretEnv) that its gateway sends in InvokeSecretHeader,
// and only on a loopback address. On a plain $PORT deployment (Cloud Run,
// Knative) the path answers 404 like any unknown path.
const (
	InvokeSecretEnv    = "TRUSTLAYER_LOCAL_INVOKE_SECRET"
	InvokeSecretHeader = "X-Trustlayer-Invoke-Secret"
	// minInvokeSecret bounds the secret from below (the local stack sends
	// 32 random bytes as hex).
	minInvokeSecret = 32
)

// invokeRoute returns the handler of the invoke path: fn behind the
// secret when the local stack enabled it, 404 otherwise. A secret set on a
// non-loopback address is a configuration error.
func invokeRoute(cfg *config.Config, log *slog.Logger, fn http.Handler) (http.Handler, error) {
	secret := cfg.Env[InvokeSecretEnv]
	if secret == "" {
		return httpapi.NotFound(log), nil
	}
	if len(secret) < minInvokeSecret {
		return nil, fmt.Errorf("%s is %d characters: the local stack sets at least %d random ones; unset it outside the local stack", InvokeSecretEnv, len(secret), minInvokeSecret)
	}
	if ip := net.ParseIP(listenHost(cfg)); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s is set but HOST is %q: the invoke path is served on a loopback address only (HOST=127.0.0.1), or unset %s", InvokeSecretEnv, listenHost(cfg), InvokeSecretEnv)
	}
	want := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(InvokeSecretHeader)
		if got == "" {
			httpapi.JSON(w, http.StatusUnauthorized, map[string]string{"error": "the invoke path needs the local stack's " + InvokeSecretHeader + " header"})
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			httpapi.JSON(w, http.StatusForbidden, map[string]string{"error": "wrong " + InvokeSecretHeader})
			return
		}
		fn.ServeHTTP(w, r)
	}), nil
}
