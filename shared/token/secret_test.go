package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrintsPlaintext(t *testing.T) {
	s, err := Generate(KindUser)
	if err != nil {
		t.Fatal(err)
	}
	random := s.Reveal()[len(PrefixUser) : len(PrefixUser)+RandomLen]
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %v"} {
		outputs = append(outputs, fmt.Sprintf(verb, s))
	}
	outputs = append(outputs, fmt.Sprint(s), fmt.Sprintf("%v", struct{ S Secret }{s}), s.String())

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("made", "token", s)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("made", "token", s)
	outputs = append(outputs, buf.String())

	for _, out := range outputs {
		if strings.Contains(out, random) {
			t.Errorf("output %q contains the secret", out)
		}
	}
	if !strings.Contains(buf.String(), s.Hint()) {
		t.Errorf("log %q lacks the hint %q", buf.String(), s.Hint())
	}
}

func TestSecretRefusesJSON(t *testing.T) {
	s, err := Generate(KindSession)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := json.Marshal(map[string]any{"token": s}); err == nil {
		t.Errorf("json.Marshal = %s, want an error", b)
	}
}

func TestSecretHash(t *testing.T) {
	s, err := Generate(KindOrg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Hash(), Hash(s.Reveal()); got != want {
		t.Errorf("Secret.Hash = %s, want %s", got, want)
	}
}
