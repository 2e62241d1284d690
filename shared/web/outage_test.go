package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
)

// outageNamespaces answers every read with err, as a store whose
// dependency is down does (the store wraps the SDK's error).
type outageNamespaces struct{ err error }

func (o outageNamespaces) Namespace(ctx context.Context, name string) (repo.Namespace, error) {
	return repo.Namespace{}, fmt.Errorf("read namespace %s: %w", name, o.err)
}

func (o outageNamespaces) ReposOf(ctx context.Context, ns string) ([]repo.Repo, error) {
	return nil, fmt.Errorf("list %s: %w", ns, o.err)
}

// TestPagesAnswerOutagesWith503 (invariant 13): a page whose store meets
// DynamoDB or S3 unreachable or throttling (the errors of real SDK clients
// at a closed port or a server answering SlowDown, without the
// classifying middleware), and a denial the authorizer deferred because
// the store was down, answer 503 with Retry-After and the HTML error page,
// with no internal text; a plain error stays a 500 without Retry-After.
func TestPagesAnswerOutagesWith503(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	throttle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(400)
		io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"}`)
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
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		return err
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"DynamoDB unreachable", ddbAt(dead), 503},
		{"DynamoDB throttled", ddbAt(throttle.URL), 503},
		{"S3 unreachable", s3At(dead), 503},
		{"S3 slow down", s3At(slowS3.URL), 503},
		{"deadline", context.DeadlineExceeded, 503},
		{"plain error", fmt.Errorf("a bug at %s", dead), 500},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		s, err := newSite(Services{Namespaces: outageNamespaces{tt.err}}, Config{Log: log})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.namespace(w, httptest.NewRequest("GET", "/acme", nil), params{"namespace": "acme"})
		checkOutagePage(t, tt.name, w, tt.want, dead)
	}
	// The authorizer could not decide (the store was down) and deferred
	// its 503 to the page (principal.Middleware calls denied).
	s, err := newSite(Services{}, Config{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.denied(w, httptest.NewRequest("GET", "/settings/tokens", nil), apperr.E(apperr.Unavailable, "Authorization is temporarily unavailable; try again"))
	checkOutagePage(t, "deferred denial", w, 503, dead)
	if !strings.Contains(logged.String(), "dial tcp") {
		t.Error("the cause of an outage is not logged")
	}
}

func checkOutagePage(t *testing.T, name string, w *httptest.ResponseRecorder, want int, internal string) {
	t.Helper()
	body := w.Body.String()
	if w.Code != want || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, "<main>") {
		t.Errorf("%s: answered %d %q, want %d with the HTML error page", name, w.Code, w.Header().Get("Content-Type"), want)
	}
	if got := w.Header().Get("Retry-After"); (want == 503) != (got != "") {
		t.Errorf("%s: %d with Retry-After %q", name, w.Code, got)
	}
	if want == 503 && !strings.Contains(body, "Service Unavailable") {
		t.Errorf("%s: the page does not say the service is unavailable:\n%s", name, body)
	}
	for _, leak := range []string{strings.TrimPrefix(internal, "http://"), "dial tcp", "SlowDown", "Throttling", "goroutine", "deadline"} {
		if strings.Contains(body, leak) {
			t.Errorf("%s: the page shows internal text %q", name, leak)
		}
	}
}
