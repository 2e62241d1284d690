package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/token"
)

// TestSecretsAreRedacted logs token-shaped secrets in every place a line
// can carry one and reads the output back.
func TestSecretsAreRedacted(t *testing.T) {
	body := strings.Repeat("AbCdEfGhIj", 4)[:token.BodyLen]
	secrets := []string{token.PrefixUser + body, token.PrefixOrg + body, token.PrefixSession + body}
	var buf bytes.Buffer
	log := New(&buf, slog.LevelDebug, "test")
	ctx := WithRequestID(context.Background(), "req-1")
	for _, s := range secrets {
		log.With("bound", s).WarnContext(ctx, "bad credential "+s,
			"header", "Bearer "+s, "err", errors.New("lookup "+s+": not found"),
			slog.Group("req", "authorization", s), "any", map[string]string{"k": s})
	}
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %s... reached the log:\n%s", s[:8], out)
		}
	}
	if want := token.PrefixUser + "..." + body[len(body)-token.HintLen:]; !strings.Contains(out, want) {
		t.Errorf("output lacks the masked form %q:\n%s", want, out)
	}
	if !strings.Contains(out, `"request_id":"req-1"`) {
		t.Errorf("output lacks the request id:\n%s", out)
	}
}
