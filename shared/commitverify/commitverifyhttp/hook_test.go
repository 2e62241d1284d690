package commitverifyhttp_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/principal"
)

func hookEnv(t *testing.T) *env { return newEnv(t) }

// preReceive posts body to the internal route with the authorizer
// context lambda (nil: none, as a bare $PORT request has).
func (e *env) preReceive(lambda map[string]any, body githook.PreReceiveRequest) (int, string) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST " + githook.PreReceivePath, RawPath: githook.PreReceivePath, Body: string(b),
		Headers: map[string]string{"content-type": "application/json"},
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
