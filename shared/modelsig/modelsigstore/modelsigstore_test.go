package modelsigstore_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hubsec/trustlayer/shared/modelsig/modelsigstore"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

func refBundle(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/reference/v1.1.0-sigstore/model.sig")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Lazy answers what FromEnv's verifier answers, payload and signer alike,
// on the first bundle and on later ones.
func TestLazyAnswersAsFromEnv(t *testing.T) {
	b := refBundle(t)
	v, err := modelsigstore.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	wantP, wantWho, err := v.VerifySigstore(context.Background(), b)
	if err != nil || wantWho.Identity == "" {
		t.Fatalf("FromEnv: %v %+v", err, wantWho)
	}
	l, err := modelsigstore.LazyFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		gotP, gotWho, err := l.VerifySigstore(context.Background(), b)
		w, _ := json.Marshal(wantWho)
		g, _ := json.Marshal(gotWho)
		if err != nil || string(gotP) != string(wantP) || string(g) != string(w) {
			t.Fatalf("call %d: %v %s, want %s", i, err, g, w)
		}
	}
	// A bundle that does not verify is still a plain verdict error.
	if _, _, err := l.VerifySigstore(context.Background(), []byte(`{"mediaType":"x"}`)); err == nil || apperr.KindOf(err) == apperr.Unavailable {
		t.Fatalf("garbage bundle: %v", err)
	}
}

// An operator root that cannot be read fails at start, as FromEnv does;
// one that does not parse fails every bundle as Unavailable (nothing
// judged, nothing to record), never as a verdict.
func TestLazyOperatorRoot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(modelsigstore.RootEnv, filepath.Join(dir, "missing.json"))
	if _, err := modelsigstore.LazyFromEnv(); err == nil {
		t.Fatal("a missing operator root was accepted")
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"mediaType": 7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(modelsigstore.RootEnv, bad)
	if _, err := modelsigstore.FromEnv(); err == nil {
		t.Fatal("FromEnv accepted a broken root")
	}
	l, err := modelsigstore.LazyFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		_, _, err := l.VerifySigstore(context.Background(), refBundle(t))
		if apperr.KindOf(err) != apperr.Unavailable {
			t.Fatalf("call %d with a broken root: %v is not Unavailable", i, err)
		}
	}
	// The operator's copy of the public-good root verifies like the
	// embedded one.
	good := filepath.Join(dir, "root.json")
	b, err := os.ReadFile("trusted_root.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(modelsigstore.RootEnv, good)
	if l, err = modelsigstore.LazyFromEnv(); err != nil {
		t.Fatal(err)
	}
	if _, who, err := l.VerifySigstore(context.Background(), refBundle(t)); err != nil || who.Identity == "" {
		t.Fatalf("operator copy of the public-good root: %v %+v", err, who)
	}
}
