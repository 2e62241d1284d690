// Package githookhttp admits the git server's hook requests on a
// function's internal routes (see package githook, "Who may call").
package githookhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hubsec/trustlayer/shared/githook"
)

// maxBody bounds the body read to check a signature: Lambda's 6 MB
// synchronous payload limit.
const maxBody = 6 << 20

// FromGitServer reports whether r is a Lambda event that claims to come
// from a git server's hook: only a direct Invoke can carry this
// authorizer context, the HTTP API has no route to the internal paths, and
// the authorizer never produces this kind. It is necessary, not
// sufficient: Guard.Only also checks the call's signature.
func FromGitServer(r *http.Request) bool {
	_, ok := gitServerUser(r)
	return ok
}

func gitServerUser(r *http.Request) (string, bool) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.Lambda == nil {
		return "", false
	}
	k, _ := rc.Authorizer.Lambda["kind"].(string)
	user, _ := rc.Authorizer.Lambda["user"].(string)
	return user, k == githook.KindGitServer
}

// Guard admits a hook call only when it is signed with Key
// (githook.Verify over the route, the pusher and the body).
type Guard struct {
	Key []byte
	Log *slog.Logger
	Now func() time.Time // time.Now when nil
}

// Only serves next for a signed call of the git server, notFound for
// anyone else (as for any unknown path), and 403 with the reason for a call
// with the git server's context but no valid signature (only a direct
// invoke can carry that context, so the answer tells nothing to the HTTP
// API's clients; it tells a misconfigured git server what is wrong).
func (g Guard) Only(next http.HandlerFunc, notFound http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, ok := gitServerUser(r)
		if !ok {
			notFound.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			refuse(w, "the body could not be read")
			return
		}
		now := time.Now()
		if g.Now != nil {
			now = g.Now()
		}
		// The Lambda event's headers are split at commas into values
		// (aws-lambda-go-api-proxy): join them back.
		sig := strings.Join(r.Header.Values(githook.SignatureHeader), ",")
		if err := githook.Verify(g.Key, sig, now, r.Method, r.URL.Path, user, body); err != nil {
			if g.Log != nil {
				g.Log.WarnContext(r.Context(), "hook call refused", "path", r.URL.Path, "reason", err.Error())
			}
			refuse(w, err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r)
	}
}

func refuse(w http.ResponseWriter, reason string) {
	b, _ := json.Marshal(map[string]string{"error": "hook call refused: " + reason})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	w.Write(b)
}
