// Package githooklambda is what the git server's pre-receive needs to
// call a function, light: the signed event of a hook call (Event) and an
// AWS configuration read from the environment alone (Config), for
// shared/platform/awsrest's Lambda Invoke. pre-receive runs once per push
// as a new process, and the SDK's configuration loader (its SSO, STS and
// shared-file sources) costs more to start than the call it makes
// (docs/git-server.md, "Costs"). Credentials come from the git server's
// environment as the SDK's default chain takes them there: the
// AWS_ACCESS_KEY_ID variables, else the container credentials endpoint
// (ECS and Fargate task roles), else the instance role (IMDS). Shared
// config files, SSO and web identity are not read.
package githooklambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/hubsec/trustlayer/shared/githook"
)

// Event is the Lambda event of a git server's call to path with body,
// signed with key (githook.Sign; see package githook, "Who may call").
func Event(key []byte, path string, body any, user string) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + path, RawPath: path, Body: string(b),
		Headers: map[string]string{"content-type": "application/json",
			strings.ToLower(githook.SignatureHeader): githook.Sign(key, time.Now(), "POST", path, user, b)},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST " + path, Stage: "$default", RequestID: fmt.Sprintf("githook-%d", time.Now().UnixNano()),
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", UserAgent: "trustlayer-githook"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{"kind": githook.KindGitServer, "decision": "allow", "user": user}},
		},
	}
	return json.Marshal(ev)
}

// Config is the AWS configuration of the environment: region from
// AWS_REGION (else AWS_DEFAULT_REGION, else us-east-1), credentials as the
// package comment says.
func Config() aws.Config {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	return aws.Config{Region: region, Credentials: envCredentials(), HTTPClient: &http.Client{Timeout: 60 * time.Second}}
}

// envCredentials is the chain the package comment describes.
func envCredentials() aws.CredentialsProvider {
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))
	}
	ep := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); ep == "" && rel != "" {
		ep = "http://169.254.170.2" + rel
	}
	if ep != "" {
		return aws.NewCredentialsCache(endpointcreds.New(ep, func(o *endpointcreds.Options) {
			o.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
			if f := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
				o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
					b, err := os.ReadFile(f)
					return strings.TrimSpace(string(b)), err
				})
			}
		}))
	}
	return aws.NewCredentialsCache(ec2rolecreds.New())
}
