package awsrest

// No SES or Secrets Manager emulator runs here (DynamoDB Local, the S3
// server and devstack's Lambda endpoint do; Lambda Invoke is tested
// through the stack by every push test). These tests stand an HTTP
// server in for the service: it checks each request's SigV4 signature by
// signing it again with the SDK's signer, and the operation's shape as
// the API reference gives it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
)

const testKeyID, testSecret = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

// config is what awsconfig.FromEnv builds, with AWS_ENDPOINT_URL_<svc>
// pointing at url.
func config(t *testing.T, envName, url string) aws.Config {
	t.Helper()
	env := map[string]string{"AWS_ACCESS_KEY_ID": testKeyID, "AWS_SECRET_ACCESS_KEY": testSecret, "AWS_REGION": "eu-west-1", envName: url}
	cfg, ok, err := awsconfig.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || !ok {
		t.Fatalf("FromEnv: %v %v", ok, err)
	}
	return cfg
}

// checkSigned fails unless r carries a valid SigV4 signature for service
// in eu-west-1 with the test credentials.
func checkSigned(t *testing.T, r *http.Request, body []byte, service string) {
	t.Helper()
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Errorf("X-Amz-Date: %v", err)
		return
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != hash {
		t.Errorf("payload hash %s, body hashes to %s", got, hash)
	}
	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	auth := r.Header.Get("Authorization")
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	for _, k := range strings.Split(signed, ";") {
		if k != "host" && k != "content-length" {
			again.Header.Set(k, r.Header.Get(k))
		}
	}
	again.ContentLength = int64(len(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, again, hash, service, "eu-west-1", when); err != nil {
		t.Fatal(err)
	}
	if got, want := r.Header.Get("Authorization"), again.Header.Get("Authorization"); got != want || !strings.Contains(got, "/eu-west-1/"+service+"/aws4_request") {
		t.Errorf("signature:\n got %s\nwant %s", got, want)
	}
}

func TestSESSendTextIsSendEmail(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		checkSigned(t, r, body, "ses")
		if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		json.Unmarshal(body, &got)
		w.Write([]byte(`{"MessageId":"m-1"}`))
	}))
	defer srv.Close()
	id, err := NewSES(config(t, "AWS_ENDPOINT_URL_SESV2", srv.URL)).SendText(context.Background(), "hub@example.org", "a@example.org", "Subject ü", "Body\nline")
	if err != nil || id != "m-1" {
		t.Fatalf("SendText: %q %v", id, err)
	}
	want := `{"Content":{"Simple":{"Body":{"Text":{"Data":"Body\nline"}},"Subject":{"Data":"Subject ü"}}},"Destination":{"ToAddresses":["a@example.org"]},"FromEmailAddress":"hub@example.org"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("body\n got %s\nwant %s", b, want)
	}
}

func TestSecretStringIsGetSecretValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		checkSigned(t, r, body, "secretsmanager")
		if r.URL.Path != "/" || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("request %s %s %v", r.Method, r.URL.Path, r.Header)
		}
		var in struct{ SecretId string }
		json.Unmarshal(body, &in)
		switch in.SecretId {
		case "arn:aws:secretsmanager:eu-west-1:1:secret:hook":
			w.Write([]byte(`{"ARN":"x","Name":"hook","SecretString":"s3cret"}`))
		case "binary":
			w.Write([]byte(`{"ARN":"x","Name":"binary","SecretBinary":"AAEC"}`))
		default:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`))
		}
	}))
	defer srv.Close()
	s := NewSecrets(config(t, "AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL))
	if v, err := s.SecretString(context.Background(), "arn:aws:secretsmanager:eu-west-1:1:secret:hook"); err != nil || v != "s3cret" {
		t.Fatalf("SecretString: %q %v", v, err)
	}
	if _, err := s.SecretString(context.Background(), "binary"); err == nil {
		t.Error("a binary secret was read as a string")
	}
	_, err := s.SecretString(context.Background(), "missing")
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ResourceNotFoundException" || !strings.Contains(api.ErrorMessage(), "can't find") {
		t.Errorf("missing secret: %v", err)
	}
	if awsconfig.Unavailable(err) {
		t.Error("a missing secret counted as an outage")
	}
}

func TestLambdaInvoke(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		checkSigned(t, r, body, "lambda")
		switch {
		case r.URL.EscapedPath() == "/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:Files/invocations" && r.Header.Get("X-Amz-Invocation-Type") == "Event":
			w.WriteHeader(http.StatusAccepted)
		case r.URL.Path == "/2015-03-31/functions/Commits/invocations" && r.Header.Get("X-Amz-Invocation-Type") == "RequestResponse":
			if string(body) == `{"fail":true}` {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				w.Write([]byte(`{"errorMessage":"boom"}`))
				return
			}
			w.Write(append([]byte(`{"echo":`), append(body, '}')...))
		default:
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"Type":"User","message":"Function not found: ` + r.URL.Path + `"}`))
		}
	}))
	defer srv.Close()
	l := NewLambda(config(t, "AWS_ENDPOINT_URL_LAMBDA", srv.URL))
	ctx := context.Background()
	if res, err := l.Invoke(ctx, "arn:aws:lambda:eu-west-1:1:function:Files", true, []byte(`{}`)); err != nil || len(res.Payload) != 0 {
		t.Fatalf("async invoke: %+v %v", res, err)
	}
	if res, err := l.Invoke(ctx, "Commits", false, []byte(`{"a":1}`)); err != nil || string(res.Payload) != `{"echo":{"a":1}}` || res.FunctionError != "" {
		t.Fatalf("sync invoke: %s %q %v", res.Payload, res.FunctionError, err)
	}
	if res, err := l.Invoke(ctx, "Commits", false, []byte(`{"fail":true}`)); err != nil || res.FunctionError != "Unhandled" {
		t.Fatalf("function error: %+v %v", res, err)
	}
	_, err := l.Invoke(ctx, "Nope", false, []byte(`{}`))
	var api *APIError
	if !errors.As(err, &api) || api.Code != "ResourceNotFoundException" || api.Status != 404 || !strings.Contains(err.Error(), "invoke Nope") {
		t.Errorf("missing function: %v", err)
	}
	// The endpoint given explicitly wins (the git server's setting).
	if _, err := NewLambdaAt(config(t, "AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:1"), srv.URL).Invoke(ctx, "Commits", false, []byte(`{}`)); err != nil {
		t.Errorf("NewLambdaAt: %v", err)
	}
}

// Throttling and 5xx are retried up to the configured attempts, and an
// outage is an outage to awsconfig.Unavailable; a refusal is not retried.
func TestRetries(t *testing.T) {
	var calls atomic.Int32
	status := http.StatusServiceUnavailable
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(status)
		if status == http.StatusBadRequest {
			w.Write([]byte(`{"__type":"BadRequestException","message":"no"}`))
			return
		}
		w.Write([]byte(`{"__type":"com.amazon.coral#ServiceUnavailableException","message":"down"}`))
	}))
	defer srv.Close()
	cfg := config(t, "AWS_ENDPOINT_URL_SESV2", srv.URL)
	cfg.RetryMaxAttempts = 3
	s := NewSES(cfg)
	s.c.sleep = func(context.Context, time.Duration) error { return nil }
	_, err := s.SendText(context.Background(), "a@b.c", "d@e.f", "s", "b")
	if calls.Load() != 3 || !awsconfig.Unavailable(err) {
		t.Errorf("503: %d calls, %v (unavailable %v)", calls.Load(), err, awsconfig.Unavailable(err))
	}
	calls.Store(0)
	status = http.StatusBadRequest
	_, err = s.SendText(context.Background(), "a@b.c", "d@e.f", "s", "b")
	if calls.Load() != 1 || err == nil || awsconfig.Unavailable(err) {
		t.Errorf("400: %d calls, %v", calls.Load(), err)
	}
	// A server that does not answer at all.
	srv.Close()
	calls.Store(0)
	if _, err = s.SendText(context.Background(), "a@b.c", "d@e.f", "s", "b"); !awsconfig.Unavailable(err) {
		t.Errorf("closed server: %v", err)
	}
}

func TestEndpoint(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")}
	for _, c := range []struct {
		svc  Service
		want string
	}{{LambdaService, "https://lambda.eu-west-1.amazonaws.com"}, {SESv2Service, "https://email.eu-west-1.amazonaws.com"}, {SecretsService, "https://secretsmanager.eu-west-1.amazonaws.com"}} {
		if got := Endpoint(cfg, c.svc); got != c.want {
			t.Errorf("%s: %s, want %s", c.svc.SDKID, got, c.want)
		}
	}
	base := config(t, "AWS_ENDPOINT_URL", "http://127.0.0.1:9/")
	if got := Endpoint(base, SESv2Service); got != "http://127.0.0.1:9" {
		t.Errorf("AWS_ENDPOINT_URL: %s", got)
	}
	if got := Endpoint(config(t, "AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://sm:1"), SecretsService); got != "http://sm:1" {
		t.Errorf("AWS_ENDPOINT_URL_SECRETS_MANAGER: %s", got)
	}
}
