package modelsigremote_test

// The Lambda hop is played by an Invoker that runs the keyless function's
// Handler in process and carries its answer as JSON, as Lambda does; the
// verifier behind it is the real one (modelsigstore, offline against the
// embedded public-good root) on the reference tool's keyless bundles. The
// Invoke call itself is tested in shared/platform/awsrest and, through
// the local stack's Lambda endpoint, by the e2e model-signature tests.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigremote"
	"github.com/hubsec/trustlayer/shared/modelsig/modelsigstore"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
)

type inProcess struct {
	h        func(context.Context, json.RawMessage) (any, error)
	err      error
	fnErr    string
	function string
}

func (p *inProcess) Invoke(ctx context.Context, function string, async bool, payload []byte) (awsrest.InvokeResult, error) {
	p.function = function
	if p.err != nil {
		return awsrest.InvokeResult{}, p.err
	}
	if async {
		return awsrest.InvokeResult{}, errors.New("keyless verification must be synchronous")
	}
	if p.fnErr != "" {
		return awsrest.InvokeResult{FunctionError: p.fnErr, Payload: []byte(`{"errorMessage":"boom"}`)}, nil
	}
	out, err := p.h(ctx, payload)
	if err != nil {
		return awsrest.InvokeResult{FunctionError: "Unhandled"}, nil
	}
	b, err := json.Marshal(out)
	return awsrest.InvokeResult{Payload: b}, err
}

func local(t *testing.T) *modelsigstore.Verifier {
	t.Helper()
	v, err := modelsigstore.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func bundle(t *testing.T, version string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/reference/" + version + "-sigstore/model.sig")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The remote answer is the local verifier's, payload and signer alike.
func TestRemoteAnswersAsLocal(t *testing.T) {
	v := local(t)
	inv := &inProcess{h: modelsigremote.Handler(v)}
	remote := modelsigremote.Verifier{Lambda: inv, Function: "arn:keyless"}
	for _, ver := range []string{"v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"} {
		b := bundle(t, ver)
		wantP, wantWho, err := v.VerifySigstore(context.Background(), b)
		if err != nil {
			t.Fatalf("%s locally: %v", ver, err)
		}
		gotP, gotWho, err := remote.VerifySigstore(context.Background(), b)
		if err != nil {
			t.Fatalf("%s remotely: %v", ver, err)
		}
		w, _ := json.Marshal(wantWho)
		g, _ := json.Marshal(gotWho)
		if string(gotP) != string(wantP) || string(g) != string(w) || wantWho.Identity == "" || wantWho.SignedAt == nil {
			t.Errorf("%s: remote %s %s, local %s %s", ver, gotP, g, wantP, w)
		}
		if inv.function != "arn:keyless" {
			t.Errorf("invoked %q", inv.function)
		}
	}
}

// A bundle that does not verify is a verdict (invalid, with the
// verifier's reason); a verifier that cannot be asked is not: Verify
// returns the error, so the push is retried or refused, never recorded.
func TestRemoteVerdictsAndOutages(t *testing.T) {
	v := local(t)
	b := bundle(t, "v1.1.0")
	var j map[string]any
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	env := j["dsseEnvelope"].(map[string]any)
	p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(p), "signme-2", "signme-3", 1)))
	bad, _ := json.Marshal(j)

	_, _, localErr := v.VerifySigstore(context.Background(), bad)
	remote := modelsigremote.Verifier{Lambda: &inProcess{h: modelsigremote.Handler(v)}, Function: "k"}
	_, _, remoteErr := remote.VerifySigstore(context.Background(), bad)
	if localErr == nil || remoteErr == nil || remoteErr.Error() != localErr.Error() || apperr.KindOf(remoteErr) == apperr.Unavailable {
		t.Fatalf("tampered: remote %v, local %v", remoteErr, localErr)
	}
	rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: bad, Sigstore: remote, Now: time.Now()})
	if err != nil || rec.Status != modelsig.Invalid || !strings.Contains(rec.Reason, localErr.Error()) {
		t.Fatalf("tampered through Verify: %v %s %q", err, rec.Status, rec.Reason)
	}

	for name, inv := range map[string]*inProcess{
		"unreachable":    {err: errors.New("dial tcp: connection refused")},
		"function error": {fnErr: "Unhandled"},
		"unreadable":     {h: func(context.Context, json.RawMessage) (any, error) { return "not a response", nil }},
		"empty":          {h: func(context.Context, json.RawMessage) (any, error) { return map[string]any{}, nil }},
	} {
		remote := modelsigremote.Verifier{Lambda: inv, Function: "k"}
		_, _, err := remote.VerifySigstore(context.Background(), b)
		if apperr.KindOf(err) != apperr.Unavailable {
			t.Errorf("%s: %v is not Unavailable", name, err)
		}
		if _, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Sigstore: remote, Now: time.Now()}); err == nil {
			t.Errorf("%s: Verify recorded a verdict", name)
		}
	}
}

func TestHandlerRefusesBadEvents(t *testing.T) {
	h := modelsigremote.Handler(local(t))
	for name, ev := range map[string]string{
		"not json":  `nope`,
		"no bundle": `{}`,
		"garbage":   `{"bundle":"` + base64.StdEncoding.EncodeToString([]byte("{not a bundle")) + `"}`,
		"too big":   `{"bundle":"` + base64.StdEncoding.EncodeToString(make([]byte, modelsigremote.MaxBundle+1)) + `"}`,
	} {
		out, err := h(context.Background(), json.RawMessage(ev))
		r, ok := out.(modelsigremote.Response)
		if err != nil || !ok || r.Error == "" || r.Payload != nil {
			t.Errorf("%s: %+v %v", name, out, err)
		}
	}
}

// A keyless function whose trusted root does not parse answers with a
// function error, which the uploads side takes as an outage: the push is
// retried or refused, the bundle never recorded invalid.
func TestHandlerBrokenRootIsAnOutage(t *testing.T) {
	bad := t.TempDir() + "/root.json"
	if err := os.WriteFile(bad, []byte(`{"mediaType": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(modelsigstore.RootEnv, bad)
	l, err := modelsigstore.LazyFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	b := bundle(t, "v1.1.0")
	ev, _ := json.Marshal(modelsigremote.Request{Bundle: b})
	if out, err := modelsigremote.Handler(l)(context.Background(), ev); err == nil {
		t.Fatalf("handler answered %+v with a broken root", out)
	}
	remote := modelsigremote.Verifier{Lambda: &inProcess{h: modelsigremote.Handler(l)}, Function: "k"}
	if _, _, err := remote.VerifySigstore(context.Background(), b); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("%v is not Unavailable", err)
	}
	if rec, err := modelsig.Verify(context.Background(), modelsig.Input{Bundle: b, Sigstore: remote, Now: time.Now()}); err == nil {
		t.Fatalf("Verify recorded %s (%s)", rec.Status, rec.Reason)
	}
}
