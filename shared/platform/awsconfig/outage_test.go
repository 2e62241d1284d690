package awsconfig

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

// TestDeadEndpointsAnswer503: invariant 13 (docs/invariants.md). Real SDK
// clients of DynamoDB, S3 and SQS pointed at a dead endpoint (a closed
// port) and at one that throttles or fails (503 SlowDown, 500) give
// errors that the one error writer answers 503 with Retry-After and a
// JSON error, never 500 and never the internal text.
func TestDeadEndpointsAnswer503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	throttle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`)
	}))
	defer throttle.Close()
	slowS3 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		io.WriteString(w, `<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>`)
	}))
	defer slowS3.Close()

	cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ddbAt := func(url string) error {
		c := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
		_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
		return err
	}
	s3At := func(url string) error {
		c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(url); o.UsePathStyle = true })
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		return err
	}
	sqsAt := func(url string) error {
		c := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) })
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url + "/q"), MessageBody: aws.String("m")})
		return err
	}
	tests := []struct {
		name string
		err  error
	}{
		{"DynamoDB unreachable", ddbAt(dead)},
		{"DynamoDB throttled", ddbAt(throttle.URL)},
		{"S3 unreachable", s3At(dead)},
		{"S3 slow down", s3At(slowS3.URL)},
		{"SQS unreachable", sqsAt(dead)},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		if k := apperr.KindOf(tt.err); k != apperr.Unavailable {
			t.Errorf("%s: kind %v (%v), want Unavailable", tt.name, k, tt.err)
		}
		w := httptest.NewRecorder()
		httpapi.Error(w, httptest.NewRequest("GET", "/x", nil), slog.New(slog.NewTextHandler(io.Discard, nil)), tt.err)
		var body httpapi.ErrorBody
		if w.Code != 503 || w.Header().Get("Retry-After") == "" || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error != "Service temporarily unavailable" {
			t.Errorf("%s: answered %d Retry-After %q %s, want 503 with Retry-After and the fixed sentence", tt.name, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	// Not outages: the caller went away, a plain error, a client error.
	c, stop := context.WithCancel(context.Background())
	stop()
	for _, err := range []error{context.Canceled, errors.New("boom"), ddbAtCtx(c, cfg, dead)} {
		if k := apperr.KindOf(err); k == apperr.Unavailable {
			t.Errorf("%v: kind Unavailable, want not", err)
		}
	}
}

func ddbAtCtx(ctx context.Context, cfg aws.Config, url string) error {
	c := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(url) })
	_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
	return err
}
