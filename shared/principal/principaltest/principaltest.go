// Package principaltest sends requests to a function's handler the way
// Lambda does behind the HTTP API: as an API Gateway payload 2.0 event
// through the same adapter, with the authorizer's context for a caller.
package principaltest

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/principal"
)

// SourceIP is the client address every request comes from.
const SourceIP = "203.0.113.7"

// Do sends method path (which may carry a query) with a JSON body to h,
// with c as the authorizer's context, and returns the status and body.
func Do(t testing.TB, h http.Handler, c access.Caller, method, path, body string) (int, string) {
	t.Helper()
	rawPath, query, _ := strings.Cut(path, "?")
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: rawPath, RawQueryString: query, Body: body,
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID:  "req-" + randid.Hex(4),
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: rawPath, SourceIP: SourceIP},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: principal.Context(c, nil)},
		},
	}
	res, err := httpadapter.NewV2(h).ProxyWithContext(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, res.Body
}
