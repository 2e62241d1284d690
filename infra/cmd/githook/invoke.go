package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githooklambda"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
)

// commits calls a function (the commits function, or the uploads
// function's model-signature check): Lambda Invoke over awsrest, under
// githooklambda's light configuration, as pre-receive is a new process at
// every push.
type commits struct {
	client   *awsrest.Lambda
	function string
	key      []byte // the hook key: every call is signed with it
}

// hookKey reads the hook key from the file trustlayer.hookSecretFile
// names (the git server writes it from the HookSecret secret; see
// docs/git-server.md). Without it no call can be signed and the functions
// refuse them: the push is refused, saying why.
func hookKey(cfg map[string]string) ([]byte, error) {
	path := cfg["trustlayer.hooksecretfile"]
	if path == "" {
		return nil, fmt.Errorf("the git server is not configured: set trustlayer.hookSecretFile")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the git server cannot read its hook key: %v", err)
	}
	k := []byte(strings.TrimSpace(string(b)))
	if len(k) < githook.MinKeyLen {
		return nil, fmt.Errorf("the git server's hook key is shorter than %d bytes", githook.MinKeyLen)
	}
	return k, nil
}

// newCommits returns a client of the function named by the setting key
// (lower case, as git config prints it).
func newCommits(ctx context.Context, cfg map[string]string, key string) (*commits, error) {
	fn := cfg[key]
	if fn == "" {
		return nil, fmt.Errorf("the git server is not configured: set %s", key)
	}
	hk, err := hookKey(cfg)
	if err != nil {
		return nil, err
	}
	// The light configuration (githooklambda.Config): no SDK loader.
	ac := githooklambda.Config()
	ac.RetryMaxAttempts = 2
	return &commits{client: awsrest.NewLambdaAt(ac, cfg["trustlayer.lambdaendpoint"]), function: fn, key: hk}, nil
}

// apiError is the JSON error body of our functions.
type apiError struct {
	Error string `json:"error"`
}

// call posts body to path as the git server and decodes a 200 answer
// into out. Any other answer is an error carrying the function's message.
func (c *commits) call(ctx context.Context, path string, body, out any) error {
	payload, err := githooklambda.Event(c.key, path, body, os.Getenv("REMOTE_USER"))
	if err != nil {
		return err
	}
	res, err := c.client.Invoke(ctx, c.function, false, payload)
	if err != nil {
		return fmt.Errorf("the trust service cannot be reached, so the push cannot be checked: %v", err)
	}
	if res.FunctionError != "" {
		return fmt.Errorf("the trust service failed (%s), so the push cannot be checked", res.FunctionError)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		return fmt.Errorf("the trust service answered something unreadable: %v", err)
	}
	raw := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if raw, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return fmt.Errorf("the trust service answered something unreadable: %v", err)
		}
	}
	if resp.StatusCode != 200 {
		var e apiError
		json.Unmarshal(raw, &e)
		if e.Error == "" {
			e.Error = "no message"
		}
		return fmt.Errorf("the trust service answered %d: %s", resp.StatusCode, e.Error)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("the trust service answered something unreadable: %v", err)
	}
	return nil
}
