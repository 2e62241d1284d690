package devstack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGatewayEndToEnd runs under `make test`, which starts the stack and
// exports TRUSTLAYER_GATEWAY_URL; alone it skips.
func TestGatewayEndToEnd(t *testing.T) {
	base := os.Getenv("TRUSTLAYER_GATEWAY_URL")
	if base == "" {
		t.Skip("TRUSTLAYER_GATEWAY_URL not set; run through `make test`, which starts the local stack")
	}
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/health: got %d %s, want 200", resp.StatusCode, body)
	}
	var health map[string]struct {
		Name      string `json:"name"`
		Reachable bool   `json:"reachable"`
	}
	json.Unmarshal(body, &health)
	for _, dep := range []string{"table", "bucket"} {
		if !health[dep].Reachable {
			t.Errorf("health: %s not reachable in %s", dep, body)
		}
	}

	resp, err = http.Get(base + "/no/such/route/anywhere/at/all")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var msg struct{ Message string }
	if resp.StatusCode != http.StatusNotFound || json.Unmarshal(body, &msg) != nil || msg.Message != "Not Found" {
		t.Errorf("unknown route: got %d %s, want 404 {\"message\":\"Not Found\"}", resp.StatusCode, body)
	}
}

// TestInternalListener checks the Lambda Invoke API answers for a missing
// function the way Lambda does, so SDK callers get a typed error.
func TestInternalListener(t *testing.T) {
	base := os.Getenv("TRUSTLAYER_INTERNAL_URL")
	if base == "" {
		t.Skip("TRUSTLAYER_INTERNAL_URL not set; run through `make test`")
	}
	resp, err := http.Post(base+"/2015-03-31/functions/NoSuchFunction/invocations", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("got %d %q, want 404 ResourceNotFoundException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// TestBackendsRefuseBareTrustHeaders: the running stack's git and
// inference backends refuse a request that claims X-Trust-Decision: allow
// but did not come through the gateway (no hop signature, or a forged one).
func TestBackendsRefuseBareTrustHeaders(t *testing.T) {
	git, echo := os.Getenv("TRUSTLAYER_GIT_BACKEND_URL"), os.Getenv("TRUSTLAYER_ECHO_BACKEND_URL")
	if git == "" || echo == "" {
		t.Skip("TRUSTLAYER_GIT_BACKEND_URL / TRUSTLAYER_ECHO_BACKEND_URL not set; run through `make test`")
	}
	for _, tt := range []struct{ name, method, url, sig string }{
		{"git, unsigned", "GET", git + "/alice/direct.git/info/refs?service=git-upload-pack", ""},
		{"git, forged", "GET", git + "/alice/direct.git/info/refs?service=git-upload-pack", "v1=" + strings.Repeat("ab", 32)},
		{"echo, unsigned", "POST", echo + "/models/alice/direct", ""},
	} {
		req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader("{}"))
		req.Header.Set("X-Trust-Decision", "allow")
		req.Header.Set("X-Trust-User", "alice")
		if tt.sig != "" {
			req.Header.Set("X-Trust-Signature", tt.sig)
			req.Header.Set("X-Trust-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: got %d %s, want 403", tt.name, resp.StatusCode, body)
		}
	}
}
