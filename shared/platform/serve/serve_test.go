package serve

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/hubsec/trustlayer/shared/platform/config"
)

// forgedEvent is an HTTP API event whose authorizer context names a victim,
// posted by someone who never went through the authorizer.
const forgedEvent = `{"version":"2.0","routeKey":"POST /api/settings/tokens","rawPath":"/api/settings/tokens",
"requestContext":{"http":{"method":"POST","path":"/api/settings/tokens"},"authorizer":{"lambda":{"user":"victim","kind":"session"}}},
"body":"{\"name\":\"x\",\"role\":\"write\"}"}`

// whoAmI answers the principal the authorizer context names, as the
// tokens function would mint a token for it.
var whoAmI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	rc, _ := core.GetAPIGatewayV2ContextFromContext(r.Context())
	user := ""
	if rc.Authorizer != nil {
		user, _ = rc.Authorizer.Lambda["user"].(string)
	}
	w.Write([]byte("minted for " + user))
})

// startHTTP runs HTTP on a free loopback port with env, as a function
// process would, and returns its base URL.
func startHTTP(t *testing.T, env ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg, err := config.Load("test", append(env, "PORT="+strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- HTTP(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), whoAmI) }()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	for range 100 {
		select {
		case err := <-errc:
			t.Fatalf("HTTP stopped: %v", err)
		default:
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return base
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("function did not start listening")
	return ""
}

func postInvoke(t *testing.T, base, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+InvokePath, strings.NewReader(forgedEvent))
	if secret != "" {
		req.Header.Set(InvokeSecretHeader, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestInvokePathAbsentOnPlainPort: a function served on $PORT as on Cloud
// Run has no invoke path, so a forged authorizer context reaches nothing.
func TestInvokePathAbsentOnPlainPort(t *testing.T) {
	base := startHTTP(t)
	status, body := postInvoke(t, base, "")
	if status != http.StatusNotFound || strings.Contains(body, "victim") {
		t.Fatalf("invoke with a forged authorizer context: got %d %s, want 404", status, body)
	}
}

// TestInvokePathNeedsStackSecret: with the local stack's secret set, the
// invoke path answers 401 without the header, 403 with a wrong one, and
// runs the event only with the right one.
func TestInvokePathNeedsStackSecret(t *testing.T) {
	secret := strings.Repeat("s3cr3t", 8)
	base := startHTTP(t, InvokeSecretEnv+"="+secret, "HOST=127.0.0.1")
	tests := []struct {
		name, secret string
		want         int
	}{
		{"no secret", "", http.StatusUnauthorized},
		{"wrong secret", strings.Repeat("x", len(secret)), http.StatusForbidden},
		{"wrong length", secret + "x", http.StatusForbidden},
	}
	for _, tt := range tests {
		status, body := postInvoke(t, base, tt.secret)
		if status != tt.want || strings.Contains(body, "victim") {
			t.Errorf("%s: got %d %s, want %d", tt.name, status, body, tt.want)
		}
	}
	status, body := postInvoke(t, base, secret)
	var res struct{ Body string }
	if status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Body != "minted for victim" {
		t.Errorf("right secret: got %d %s, want 200 with the handler's answer", status, body)
	}
}

// TestInvokeSecretOnlyOnLoopback: the secret on a non-loopback HOST stops
// the function with a message instead of exposing the path.
func TestInvokeSecretOnlyOnLoopback(t *testing.T) {
	cfg, err := config.Load("test", []string{InvokeSecretEnv + "=" + strings.Repeat("k", 64), "HOST=0.0.0.0", "PORT=1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := invokeRoute(cfg, slog.Default(), whoAmI); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("HOST=0.0.0.0 with the secret: got %v, want an error naming loopback", err)
	}
	cfg.Env[InvokeSecretEnv] = "short"
	cfg.Env["HOST"] = "127.0.0.1"
	if _, err := invokeRoute(cfg, slog.Default(), whoAmI); err == nil {
		t.Error("a 5-character secret was accepted")
	}
}
