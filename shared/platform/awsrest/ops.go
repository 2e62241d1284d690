package awsrest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Lambda invokes functions (the Invoke operation).
type Lambda struct{ c *Client }

// NewLambda returns a Lambda client under cfg.
func NewLambda(cfg aws.Config) *Lambda { return &Lambda{New(cfg, LambdaService)} }

// NewLambdaAt returns a Lambda client of the endpoint given (the git
// server's trustlayer.lambdaEndpoint), or of the configured one when it
// is empty.
func NewLambdaAt(cfg aws.Config, endpoint string) *Lambda {
	c := New(cfg, LambdaService)
	if endpoint != "" {
		c.endpoint = strings.TrimRight(endpoint, "/")
	}
	return &Lambda{c}
}

// InvokeResult is a synchronous invoke's answer.
type InvokeResult struct {
	Payload []byte
	// FunctionError is X-Amz-Function-Error ("Unhandled", "Handled"):
	// the function ran and failed; Payload describes the error.
	FunctionError string
}

// Invoke calls function with payload: asynchronously (InvocationType
// Event: Lambda queues the event and answers 202 at once) or
// synchronously (RequestResponse).
func (l *Lambda) Invoke(ctx context.Context, function string, async bool, payload []byte) (InvokeResult, error) {
	typ := "RequestResponse"
	if async {
		typ = "Event"
	}
	h := http.Header{}
	h.Set("X-Amz-Invocation-Type", typ)
	h.Set("Content-Type", "application/json")
	resp, err := l.c.Do(ctx, Request{Method: http.MethodPost, Path: "/2015-03-31/functions/" + url.PathEscape(function) + "/invocations", Header: h, Body: payload})
	if err != nil {
		return InvokeResult{}, fmt.Errorf("invoke %s: %w", function, err)
	}
	return InvokeResult{Payload: resp.Body, FunctionError: resp.Header.Get("X-Amz-Function-Error")}, nil
}

// SES sends mail through Amazon SES v2 (the SendEmail operation).
type SES struct{ c *Client }

// NewSES returns an SES v2 client under cfg.
func NewSES(cfg aws.Config) *SES { return &SES{New(cfg, SESv2Service)} }

// SendText sends a plain-text message from from to to; it returns SES's
// message id.
func (s *SES) SendText(ctx context.Context, from, to, subject, body string) (string, error) {
	type content struct {
		Data string `json:"Data"`
	}
	in := map[string]any{
		"FromEmailAddress": from,
		"Destination":      map[string]any{"ToAddresses": []string{to}},
		"Content": map[string]any{"Simple": map[string]any{
			"Subject": content{subject},
			"Body":    map[string]any{"Text": content{body}},
		}},
	}
	var out struct {
		MessageID string `json:"MessageId"`
	}
	if _, err := s.c.JSON(ctx, http.MethodPost, "/v2/email/outbound-emails", "application/json", nil, in, &out); err != nil {
		return "", err
	}
	return out.MessageID, nil
}

// Secrets reads Secrets Manager secrets (the GetSecretValue operation).
type Secrets struct{ c *Client }

// NewSecrets returns a Secrets Manager client under cfg.
func NewSecrets(cfg aws.Config) *Secrets { return &Secrets{New(cfg, SecretsService)} }

// SecretString returns the SecretString of the secret id (a name or ARN)
// at its current version.
func (s *Secrets) SecretString(ctx context.Context, id string) (string, error) {
	h := http.Header{}
	h.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	var out struct {
		SecretString *string `json:"SecretString"`
	}
	if _, err := s.c.JSON(ctx, http.MethodPost, "/", "application/x-amz-json-1.1", h, map[string]string{"SecretId": id}, &out); err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secret %s holds no SecretString (binary secrets are not read)", id)
	}
	return *out.SecretString, nil
}
