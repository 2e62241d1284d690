package commitverifyhttp_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/principal"
)

func hookEnv(t *testing.T) *env { return newEnv(t) }

// testHookKey is the hook key the test's handler holds.
var testHookKey = []byte("0123456789abcdef0123456789abcdef-test")

// preReceive posts body to the internal route with the authorizer
// context lambda (nil: none, as a bare $PORT request has), signed with
// the handler's key as the git server signs.
func (e *env) preReceive(lambda map[string]any, body githook.PreReceiveRequest) (int, string) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	user, _ := lambda["user"].(string)
	return e.preReceiveSigned(lambda, b, githook.Sign(testHookKey, time.Now(), "POST", githook.PreReceivePath, user, b))
}

// preReceiveSigned posts b with the signature header sig ("" for none).
func (e *env) preReceiveSigned(lambda map[string]any, b []byte, sig string) (int, string) {
	e.t.Helper()
	headers := map[string]string{"content-type": "application/json"}
	if sig != "" {
		headers[strings.ToLower(githook.SignatureHeader)] = sig
	}
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST " + githook.PreReceivePath, RawPath: githook.PreReceivePath, Body: string(b),
		Headers: headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: githook.PreReceivePath}}}
	if lambda != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: lambda}
	}
	res, err := httpadapter.NewV2(e.h).ProxyWithContext(context.Background(), ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, res.Body
}

// TestPreReceiveOnlyForTheGitServer: the internal route answers 404 to
// anything but the git server's event, including a real user's allowed
// request and a request with no context at all.
func TestPreReceiveOnlyForTheGitServer(t *testing.T) {
	e := hookEnv(t)
	alice := e.user("alice")
	e.repo(alice, "w", true)
	r := e.git.NewRepo("w", "sha1")
	id := r.Commit("Alice", "alice@example.com", gittest.Signer{}, "unsigned")
	body := githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "w"},
		Objects: []githook.Object{{Type: "commit", ID: id, Raw: r.CatFile("commit", id)}}}
	if got, out := e.preReceive(principal.Context(alice, nil), body); got != 404 {
		t.Errorf("a user's allowed request: got %d %s, want 404", got, out)
	}
	if got, out := e.preReceive(nil, body); got != 401 {
		t.Errorf("no authorizer context: got %d %s, want 401 (as on every route)", got, out)
	}
	if code, _ := e.record(alice, "/api/models/alice/w/commits/"+id+"/verification"); code != 404 {
		t.Errorf("a refused request stored a record")
	}
	// A bare HTTP request (a function served on $PORT) has no event.
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, httptest.NewRequest("POST", githook.PreReceivePath, strings.NewReader("{}")))
	if w.Code == 200 {
		t.Errorf("bare HTTP request: got 200")
	}

	got, out := e.preReceive(map[string]any{"kind": githook.KindGitServer, "decision": "allow"}, body)
	if got != 200 {
		t.Fatalf("git server: got %d %s, want 200", got, out)
	}
	var resp githook.PreReceiveResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Allowed || len(resp.Rejected) != 1 || resp.Rejected[0].ObjectID != id || resp.Rejected[0].Reason != "unsigned" || resp.Recorded != 1 {
		t.Errorf("git server: got %+v, want refused for the unsigned commit, one record", resp)
	}
	if code, rec := e.record(alice, "/api/models/alice/w/commits/"+id+"/verification"); code != 200 || rec.Status != "unsigned" || rec.SubmittedBy != "alice" {
		t.Errorf("record: %d %+v", code, rec)
	}
}

// TestPreReceiveBadInput: a precise 400 for bad bodies, 404 for an
// unknown repository.
func TestPreReceiveBadInput(t *testing.T) {
	e := hookEnv(t)
	alice := e.user("alice")
	e.repo(alice, "w", false)
	gs := map[string]any{"kind": githook.KindGitServer, "decision": "allow"}
	tests := []struct {
		name string
		body githook.PreReceiveRequest
		code int
		msg  string
	}{
		{"no pusher", githook.PreReceiveRequest{Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "w"}}, 400, "pusher"},
		{"bad type", githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "wiki", Namespace: "alice", Name: "w"}}, 400, "repo.type"},
		{"blob object", githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "w"},
			Objects: []githook.Object{{Type: "blob", Raw: []byte("x")}}}, 400, "objects[0]"},
		{"garbage commit", githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "w"},
			Objects: []githook.Object{{Type: "commit", Raw: []byte("not a commit")}}}, 400, "not a valid commit"},
		{"unknown repo", githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "nope"}}, 404, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, out := e.preReceive(gs, tt.body)
			if got != tt.code || !strings.Contains(out, tt.msg) {
				t.Errorf("got %d %s, want %d mentioning %q", got, out, tt.code, tt.msg)
			}
		})
	}
}

// TestPreReceiveNeedsTheGitServersSignature: lambda:InvokeFunction alone
// cannot push as a user. An event with the git server's context is refused
// (403, nothing recorded) without a signature, with one made with another
// key, with one over another body or another pusher, and with one older
// than githook.MaxSkew; the same call signed with the key is served.
func TestPreReceiveNeedsTheGitServersSignature(t *testing.T) {
	e := hookEnv(t)
	alice := e.user("alice")
	e.repo(alice, "s", true)
	r := e.git.NewRepo("s", "sha1")
	id := r.Commit("Alice", "alice@example.com", gittest.Signer{}, "unsigned")
	gs := map[string]any{"kind": githook.KindGitServer, "decision": "allow", "user": "alice"}
	b, _ := json.Marshal(githook.PreReceiveRequest{Pusher: "alice", Repo: githook.Repo{Type: "model", Namespace: "alice", Name: "s"},
		Objects: []githook.Object{{Type: "commit", ID: id, Raw: r.CatFile("commit", id)}}})
	now := time.Now()
	other := []byte("another key of 32 bytes or more, not the server's")
	for _, tt := range []struct{ name, sig string }{
		{"no signature", ""},
		{"garbage", "t=1,v1=zz"},
		{"wrong key", githook.Sign(other, now, "POST", githook.PreReceivePath, "alice", b)},
		{"another body", githook.Sign(testHookKey, now, "POST", githook.PreReceivePath, "alice", []byte("{}"))},
		{"another pusher", githook.Sign(testHookKey, now, "POST", githook.PreReceivePath, "mallory", b)},
		{"another route", githook.Sign(testHookKey, now, "POST", githook.IndexPath, "alice", b)},
		{"stale", githook.Sign(testHookKey, now.Add(-githook.MaxSkew-time.Minute), "POST", githook.PreReceivePath, "alice", b)},
	} {
		if got, out := e.preReceiveSigned(gs, b, tt.sig); got != 403 || !strings.Contains(out, "hook call refused") {
			t.Errorf("%s: got %d %s, want 403", tt.name, got, out)
		}
	}
	if code, _ := e.record(alice, "/api/models/alice/s/commits/"+id+"/verification"); code != 404 {
		t.Fatalf("a refused call stored a record")
	}
	good := githook.Sign(testHookKey, now, "POST", githook.PreReceivePath, "alice", b)
	if got, out := e.preReceiveSigned(gs, b, good); got != 200 {
		t.Fatalf("signed call: got %d %s, want 200", got, out)
	}
}
