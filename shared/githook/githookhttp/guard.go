// Package githookhttp admits the git server's hook requests on a
// function's internal routes (see package githook, "Who may call").
package githookhttp

import (
	"net/http"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hubsec/trustlayer/shared/githook"
)

// FromGitServer reports whether r is a Lambda event a git server's hook
// sent: only a direct Invoke can carry this authorizer context, the HTTP
// API has no route to the internal paths, and the authorizer never
// produces this kind.
func FromGitServer(r *http.Request) bool {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.Lambda == nil {
		return false
	}
	k, _ := rc.Authorizer.Lambda["kind"].(string)
	return k == githook.KindGitServer
}

// Only serves next for the git server and notFound for anyone else, as
// for any unknown path.
func Only(next http.HandlerFunc, notFound http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !FromGitServer(r) {
			notFound.ServeHTTP(w, r)
			return
		}
		next(w, r)
	}
}
