package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/githook/githookaws"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// TestHookInvokeNeedsSignature: a holder of lambda:InvokeFunction (here
// anyone who reaches the stack's Lambda endpoint) who builds the git
// server's event is refused by the commits and the uploads functions
// without the git server's key or with another key; the same event signed
// with the stack's key passes the guard (the pushes of the other e2e tests
// go through it too).
func TestHookInvokeNeedsSignature(t *testing.T) {
	internal := testenv.RequireEnv(t, "TRUSTLAYER_INTERNAL_URL")
	key := []byte(testenv.RequireEnv(t, "TRUSTLAYER_HOOK_SECRET"))
	invoke := func(fn string, ev []byte) (int, string) {
		t.Helper()
		res, err := http.Post(internal+"/2015-03-31/functions/"+fn+"/invocations", "application/json", bytes.NewReader(ev))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var out events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: %d %s", fn, res.StatusCode, raw)
		}
		return out.StatusCode, out.Body
	}
	calls := []struct {
		fn, path string
		body     any
	}{
		{"CommitsFunction", githook.PreReceivePath, githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "nope"}}},
		{"UploadsFunction", githook.IndexPath, githook.IndexRequest{Key: githook.ManifestPrefix + "model/alice/nope/x.json"}},
	}
	for _, c := range calls {
		unsigned, _ := githookaws.Event(nil, c.path, c.body, "alice")
		var ev map[string]any
		_ = json.Unmarshal(unsigned, &ev)
		delete(ev["headers"].(map[string]any), strings.ToLower(githook.SignatureHeader))
		bare, _ := json.Marshal(ev)
		if code, body := invoke(c.fn, bare); code != 403 || !strings.Contains(body, "not signed") {
			t.Errorf("%s without a signature: %d %s, want 403", c.fn, code, body)
		}
		wrong, _ := githookaws.Event([]byte("not the git server's key, but long enough"), c.path, c.body, "alice")
		if code, body := invoke(c.fn, wrong); code != 403 || !strings.Contains(body, "does not match") {
			t.Errorf("%s with another key: %d %s, want 403", c.fn, code, body)
		}
		good, _ := githookaws.Event(key, c.path, c.body, "alice")
		if code, body := invoke(c.fn, good); code == 403 {
			t.Errorf("%s signed with the stack's key: %d %s, want past the guard", c.fn, code, body)
		}
	}
}
