// Package modelsigremote verifies keyless (Sigstore) model signatures in
// a function of their own (functions/keyless), invoked through Lambda only
// when a pushed model.sig is a Sigstore bundle.
//
// Why: sigstore-go links about 550 packages (gRPC, protobuf, go-openapi,
// govalidator...) whose package init ran at every cold start of the
// uploads function, which serves the LFS batch API and indexes every
// push, for the few pushes that carry a keyless bundle. Verifier is the
// uploads side (modelsig.SigstoreVerifier over Lambda Invoke); Handler
// is the keyless function's side.
package modelsigremote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
)

// Request is the keyless function's event: model.sig's bytes.
type Request struct {
	Bundle []byte `json:"bundle"`
}

// Response is its answer: the verified statement and signer, or why the
// bundle does not verify (a verdict, not a failure to verify).
type Response struct {
	Payload []byte              `json:"payload"` // null when Error is set
	Signer  modelsig.SignerInfo `json:"signer"`
	Error   string              `json:"error,omitempty"`
}

// Invoker is Lambda Invoke (awsrest.Lambda).
type Invoker interface {
	Invoke(ctx context.Context, function string, async bool, payload []byte) (awsrest.InvokeResult, error)
}

// Verifier is modelsig.SigstoreVerifier through the keyless function.
type Verifier struct {
	Lambda   Invoker
	Function string // the keyless function's name or ARN
}

// VerifySigstore invokes the keyless function synchronously. A bundle
// that does not verify is an error carrying the verifier's reason; a
// function that cannot be reached or fails is an apperr.Unavailable
// error, so the push is retried or refused (fail closed), never recorded
// as invalid.
func (v Verifier) VerifySigstore(ctx context.Context, bundle []byte) ([]byte, modelsig.SignerInfo, error) {
	var who modelsig.SignerInfo
	in, err := json.Marshal(Request{Bundle: bundle})
	if err != nil {
		return nil, who, err
	}
	res, err := v.Lambda.Invoke(ctx, v.Function, false, in)
	if err != nil {
		return nil, who, apperr.Wrap(apperr.Unavailable, err, "keyless verification is unavailable")
	}
	if res.FunctionError != "" {
		return nil, who, apperr.Wrap(apperr.Unavailable, fmt.Errorf("%s: %s", res.FunctionError, res.Payload), "keyless verification failed")
	}
	var out Response
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		return nil, who, apperr.Wrap(apperr.Unavailable, err, "keyless verification answered something unreadable")
	}
	if out.Error != "" {
		return nil, who, errors.New(out.Error)
	}
	if out.Payload == nil {
		return nil, who, apperr.Wrap(apperr.Unavailable, errors.New("no payload and no error"), "keyless verification answered something unreadable")
	}
	return out.Payload, out.Signer, nil
}

// MaxBundle bounds the bundle the handler verifies: post-receive and the
// pre-receive check send model.sig only up to 1 MiB.
const MaxBundle = 1 << 20

// Handler is the keyless function: it verifies the event's bundle with v
// (modelsigstore) and answers a Response. A malformed event is a
// Response error too: the bundle cannot be verified. An apperr.Unavailable
// error from v (it could not judge) is the function's error instead.
func Handler(v modelsig.SigstoreVerifier) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var in Request
		if err := json.Unmarshal(raw, &in); err != nil {
			return Response{Error: "the event is not a keyless verification request"}, nil
		}
		if len(in.Bundle) == 0 {
			return Response{Error: "no bundle"}, nil
		}
		if len(in.Bundle) > MaxBundle {
			return Response{Error: fmt.Sprintf("bundle is over %d bytes", MaxBundle)}, nil
		}
		payload, who, err := v.VerifySigstore(ctx, in.Bundle)
		if e := (*apperr.Error)(nil); errors.As(err, &e) && e.Kind == apperr.Unavailable {
			// The verifier could not judge (its trusted root is
			// unusable): a function error, which the caller treats as
			// an outage, never an "invalid" verdict.
			return nil, err
		}
		if err != nil {
			return Response{Error: err.Error()}, nil
		}
		return Response{Payload: payload, Signer: who}, nil
	}
}
