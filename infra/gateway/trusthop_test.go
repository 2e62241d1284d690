package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/shared/platform/trusthop"
)

// TestProxiedRequestsAreSigned: with a TrustHop key, what the gateway
// proxies to the git and inference backends verifies with that key, and a
// signature the client sent never reaches a backend.
func TestProxiedRequestsAreSigned(t *testing.T) {
	key, err := trusthop.New([]byte(strings.Repeat("h", trusthop.MinSecret)))
	if err != nil {
		t.Fatal(err)
	}
	verified := make(chan error, 2)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		verified <- key.Verify(r)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()
	tmpl, err := samtemplate.Load("testdata/synthetic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	gw, err := New(Config{
		Template:   tmpl,
		Functions:  map[string]Invoker{"AuthorizerFunction": fakeAuthorizer(t, &calls)},
		Parameters: map[string]string{"GitBackendUrl": backend.URL, "InferenceBackendUrl": backend.URL},
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		TrustHop:   key,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		api          http.Handler
		method, path string
	}{
		{gw.HubAPI(), "GET", "/alice/m.git/info/refs?service=git-upload-pack"},
		{gw.InferenceAPI(), "POST", "/models/acme/tiny"},
	} {
		r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(`{}`))
		r.Header.Set("Authorization", "Bearer good")
		r.Header.Set(trusthop.HeaderSignature, "v1=00")
		r.Header.Set(trusthop.HeaderTimestamp, "1")
		w := httptest.NewRecorder()
		tt.api.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("%s %s: got %d %s", tt.method, tt.path, w.Code, w.Body)
		}
		if err := <-verified; err != nil {
			t.Errorf("%s %s: backend could not verify the hop: %v", tt.method, tt.path, err)
		}
	}
}
