package identityhttp_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/identity/identityddb"
	"github.com/hubsec/trustlayer/shared/identity/identityhttp"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/mail"
	"github.com/hubsec/trustlayer/shared/principal"
)

// TestStoreOutageIs503 points the real adapters at a port nobody listens
// on (DynamoDB down): public routes whose function talks to the store
// (login, leaked-credential revocation) must answer 503 with Retry-After,
// like every other route, not 500.
func TestStoreOutageIs503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://"+closed)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()
	awsCfg, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("test", []string{"TRUSTLAYER_TABLE=trustlayer", "TRUSTLAYER_MAILER=outbox", "TRUSTLAYER_OUTBOX_DIR=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	table := ddb.Table{DB: awsconfig.DynamoDB(awsCfg), Name: cfg.Table}
	store := identityddb.Store{Table: table}
	svc := &identity.Service{Store: store, Mailer: mail.Outbox{Dir: t.TempDir()}, Log: log}

	// The store error itself is classified, once, at the client.
	if _, err := store.TokenByHash(ctx, "x"); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("store call on a closed port: got kind %d (%v), want Unavailable", apperr.KindOf(err), err)
	}

	accounts := identityhttp.Accounts(svc, log, orgddb.Store{Table: table})
	tokens := identityhttp.Tokens(svc, log)
	for _, tt := range []struct {
		name, path, body string
		h                http.Handler
	}{
		{"login", "/api/login", `{"username":"alice","password":"correct horse battery"}`, accounts},
		{"revoke", "/api/credentials/revoke", `{"credentials":["hf_` + "abcdefghijklmnopqrstuvwxyzabcdefgh" + `"]}`, tokens},
	} {
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "$default", RawPath: tt.path, Body: tt.body,
			Headers: map[string]string{"content-type": "application/json"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RequestID:  "req-outage",
				HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: tt.path, SourceIP: "203.0.113.7"},
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: principal.Context(access.Caller{}, nil)},
			},
		}
		res, err := httpadapter.NewV2(tt.h).ProxyWithContext(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusServiceUnavailable || res.Headers["Retry-After"] == "" {
			t.Errorf("%s with DynamoDB down: got %d %s (Retry-After %q), want 503 with Retry-After", tt.name, res.StatusCode, res.Body, res.Headers["Retry-After"])
		}
	}
}
