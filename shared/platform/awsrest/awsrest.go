// Package awsrest calls the few AWS operations a function needs besides
// DynamoDB and S3 (Lambda Invoke, SES v2 SendEmail, Secrets Manager
// GetSecretValue) as plain SigV4-signed HTTPS requests, with the SDK's
// configuration (credentials, region, HTTP client, retry count,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>) and its signer.
//
// Why not the SDK's service clients: every service package of
// aws-sdk-go-v2 builds its operation schemas at package init, whether
// the function calls the service or not. The Lambda, SES v2 and Secrets
// Manager packages cost together about as much again as the whole
// DynamoDB reference function at each cold start (make bench-coldstart),
// for one operation each, called rarely.
package awsrest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// Service names one AWS service: its SDK ID (which names the
// AWS_ENDPOINT_URL_<SERVICE> variable), its signing name and its
// endpoint host prefix.
type Service struct {
	SDKID       string // "Lambda", "SESv2", "Secrets Manager"
	SigningName string // "lambda", "ses", "secretsmanager"
	HostPrefix  string // "lambda", "email", "secretsmanager"
}

// The services called here.
var (
	LambdaService  = Service{SDKID: "Lambda", SigningName: "lambda", HostPrefix: "lambda"}
	SESv2Service   = Service{SDKID: "SESv2", SigningName: "ses", HostPrefix: "email"}
	SecretsService = Service{SDKID: "Secrets Manager", SigningName: "secretsmanager", HostPrefix: "secretsmanager"}
)

// MaxResponse bounds a response body read (Lambda's synchronous payload
// limit is 6 MB).
const MaxResponse = 8 << 20

// Client calls one service.
type Client struct {
	cfg      aws.Config
	svc      Service
	endpoint string
	signer   *v4.Signer
	http     aws.HTTPClient
	// sleep waits between attempts (tests shorten it).
	sleep func(context.Context, time.Duration) error
}

// New returns a client of svc under cfg.
func New(cfg aws.Config, svc Service) *Client {
	c := &Client{cfg: cfg, svc: svc, endpoint: Endpoint(cfg, svc), signer: v4.NewSigner(), http: cfg.HTTPClient, sleep: sleepCtx}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	return c
}

// Endpoint is the service's base URL, chosen as the SDK chooses it:
// AWS_ENDPOINT_URL_<SERVICE> (through the configuration's sources), then
// AWS_ENDPOINT_URL (BaseEndpoint), then the regional AWS endpoint.
func Endpoint(cfg aws.Config, svc Service) string {
	type serviceEndpoint interface {
		GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if s, ok := src.(serviceEndpoint); ok {
			if v, found, err := s.GetServiceBaseEndpoint(context.Background(), svc.SDKID); err == nil && found && v != "" {
				return strings.TrimRight(v, "/")
			}
		}
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return strings.TrimRight(*cfg.BaseEndpoint, "/")
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + svc.HostPrefix + "." + cfg.Region + "." + suffix
}

// Request is one call.
type Request struct {
	Method, Path string // Path is escaped already
	Header       http.Header
	Body         []byte
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// APIError is a non-2xx answer. It satisfies smithy.APIError, so
// awsconfig.Unavailable tells an outage (5xx, throttling) from a refusal
// as it does for the SDK's clients.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// ErrorCode, ErrorMessage and ErrorFault implement smithy.APIError.
func (e *APIError) ErrorCode() string    { return e.Code }
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault tells a server's fault (5xx) from the caller's.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode is the answer's status.
func (e *APIError) HTTPStatusCode() int { return e.Status }

// Do sends r, signed, retrying a network error, throttling or a 5xx up
// to the configuration's attempts (AWS_MAX_ATTEMPTS; 3 by default, as the
// SDK's standard retryer) with jittered exponential backoff.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	attempts := c.cfg.RetryMaxAttempts
	if attempts < 1 {
		attempts = 3
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if err := c.sleep(ctx, backoff(i)); err != nil {
				return nil, last
			}
		}
		resp, err := c.once(ctx, r)
		if err == nil {
			return resp, nil
		}
		last = err
		if !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, last
}

func (c *Client) once(ctx context.Context, r Request) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, c.endpoint+r.Path, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.ContentLength = int64(len(r.Body))
	sum := sha256.Sum256(r.Body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if c.cfg.Credentials == nil {
		return nil, errors.New("no AWS credentials configured")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS credentials: %w", err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, hash, c.svc.SigningName, c.cfg.Region, time.Now().UTC()); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxResponse {
		return nil, fmt.Errorf("%s answered over %d bytes", c.svc.SDKID, MaxResponse)
	}
	if resp.StatusCode/100 != 2 {
		return nil, apiError(resp, body)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// apiError reads an AWS error answer: the code from X-Amzn-ErrorType or
// the body's __type/code, the message from message/Message.
func apiError(resp *http.Response, body []byte) *APIError {
	e := &APIError{Status: resp.StatusCode}
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		CodeU    string `json:"Code"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	for _, v := range []string{resp.Header.Get("X-Amzn-ErrorType"), doc.Type, doc.Code, doc.CodeU} {
		if v != "" {
			e.Code = v
			break
		}
	}
	// "ResourceNotFoundException:http://internal.amazon.com/..." and
	// "com.amazon.coral#ThrottlingException" name the same code.
	if i := strings.IndexByte(e.Code, ':'); i >= 0 {
		e.Code = e.Code[:i]
	}
	if i := strings.LastIndexByte(e.Code, '#'); i >= 0 {
		e.Code = e.Code[i+1:]
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	e.Message = doc.Message
	if e.Message == "" {
		e.Message = doc.MessageU
	}
	return e
}

func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Code {
		case "ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded", "TooManyRequests":
			return true
		}
		return ae.Status >= 500 || ae.Status == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// backoff is exponential from 100 ms with jitter, at most 2 s (the
// SDK's standard retryer allows up to 20 s; these calls are rare and a
// function's time is short).
func backoff(attempt int) time.Duration {
	d := time.Duration(1<<min(attempt, 5)) * 50 * time.Millisecond
	if d > 2*time.Second {
		d = 2 * time.Second
	}
	return d/2 + time.Duration(time.Now().UnixNano()%int64(d/2+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// JSON sends body as JSON with extra headers and decodes a 2xx answer
// into out (when out is not nil).
func (c *Client) JSON(ctx context.Context, method, path, contentType string, header http.Header, in, out any) (*Response, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	h.Set("Content-Type", contentType)
	resp, err := c.Do(ctx, Request{Method: method, Path: path, Header: h, Body: b})
	if err != nil {
		return nil, err
	}
	if out != nil && len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return nil, fmt.Errorf("%s answer: %w", c.svc.SDKID, err)
		}
	}
	return resp, nil
}
