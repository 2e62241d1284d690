package webcardlambda_test

// The Lambda hop is played in process (Handler's answer carried as JSON,
// as Lambda does) with the real renderer; the Invoke call itself is tested
// in shared/platform/awsrest and through the local stack by the web e2e
// tests of repository pages.

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/awsrest"
	"github.com/hubsec/trustlayer/shared/web/webcard"
	"github.com/hubsec/trustlayer/shared/web/webcardlambda"
)

type inProcess struct {
	err   error
	fnErr string
	raw   string
}

func (p inProcess) Invoke(ctx context.Context, function string, async bool, payload []byte) (awsrest.InvokeResult, error) {
	if p.err != nil {
		return awsrest.InvokeResult{}, p.err
	}
	if p.fnErr != "" {
		return awsrest.InvokeResult{FunctionError: p.fnErr}, nil
	}
	if p.raw != "" {
		return awsrest.InvokeResult{Payload: []byte(p.raw)}, nil
	}
	if async || function != "CardsFunction" {
		return awsrest.InvokeResult{}, errors.New("wrong invoke")
	}
	out, err := webcardlambda.Handler(webcard.RenderCard)(ctx, payload)
	if err != nil {
		return awsrest.InvokeResult{FunctionError: "Unhandled"}, nil
	}
	b, _ := json.Marshal(out)
	return awsrest.InvokeResult{Payload: b}, nil
}

func TestRemoteRendersAsLocal(t *testing.T) {
	r := webcardlambda.Renderer{Lambda: inProcess{}, Function: "CardsFunction"}
	for _, md := range []string{"", "# Title\n\n<script>alert(1)</script>[x](javascript:alert(1)) ![i](a.png)\n\n| a |\n|---|\n| 1 |\n", "plain \u00e9 text"} {
		got, err := r.RenderCard(context.Background(), md)
		want := webcard.RenderCard(md)
		if err != nil || got != want {
			t.Errorf("%q: remote %q %v, local %q", md, got, err, want)
		}
	}
}

func TestRemoteFailuresAreUnavailable(t *testing.T) {
	for name, inv := range map[string]inProcess{
		"unreachable":    {err: errors.New("connection refused")},
		"function error": {fnErr: "Unhandled"},
		"unreadable":     {raw: `"x"`},
		"no html":        {raw: `{}`},
	} {
		_, err := webcardlambda.Renderer{Lambda: inv, Function: "CardsFunction"}.RenderCard(context.Background(), "# x")
		if apperr.KindOf(err) != apperr.Unavailable {
			t.Errorf("%s: %v", name, err)
		}
	}
}
