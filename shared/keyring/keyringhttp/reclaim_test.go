package keyringhttp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// holdKey stores armored as a key record of c directly, as a record made
// before today's upload rules (or by any path that skipped them) would be.
func (e *env) holdKey(c access.Caller, armored string) keyring.GPGKey {
	e.t.Helper()
	parsed, err := signingkey.ParseGPG(armored)
	if err != nil {
		e.t.Fatal(err)
	}
	k := keyring.GPGKey{ID: randid.Hex(12), UserID: c.UserID, AddedAt: time.Now().UTC(), Key: *parsed}
	if err := e.keys.AddGPGKey(context.Background(), k, audit.Event{Subject: "user:" + c.UserID, At: k.AddedAt, Type: keyring.EventGPGKeyAdded}); err != nil {
		e.t.Fatalf("hold key: %v", err)
	}
	return k
}

func (e *env) auditTypes(c access.Caller) map[string]int {
	e.t.Helper()
	events, _, err := e.ids.Audit(context.Background(), c, 50, "")
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range events {
		out[ev.Type]++
	}
	return out
}

// The verified owner of a key's email takes it back from an account that
// owns none of its emails: one transaction, an audit event on both.
func TestGPGKeyReclaimedByEmailOwner(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	vic, mallory := e.user("vic"), e.user("mallory")
	fpr := g.GenKey("Vic <vic@example.com>", "ed25519", "sign", "never", 0)
	g.AddSubkey(fpr, "ed25519", "sign", "never", 0)
	armored := g.Export(fpr)
	squat := e.holdKey(mallory, armored)

	e.must(201, vic, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": armored})
	for _, id := range squat.Fingerprints() {
		var n uint64
		_, _ = hexUint(id[24:], &n)
		got, err := e.keys.GPGKeysByID(context.Background(), n)
		if err != nil || len(got) != 1 || got[0].AccountID != vic.UserID {
			t.Fatalf("key %s after the reclaim: got %+v, %v; want vic's only", id[24:], got, err)
		}
	}
	if got := e.must(200, mallory, "GET", "/api/settings/gpg-keys", nil); strings.TrimSpace(got) != "[]" {
		t.Fatalf("mallory still lists the key: %s", got)
	}
	if got := e.auditTypes(vic); got["gpg_key.reclaimed"] != 1 || got[keyring.EventGPGKeyAdded] != 1 {
		t.Errorf("vic's audit: got %v", got)
	}
	if got := e.auditTypes(mallory); got["gpg_key.reclaimed"] != 1 {
		t.Errorf("mallory's audit: got %v", got)
	}
}

// A holder that owns one of the key's emails keeps it.
func TestGPGKeyNotReclaimedFromAnEmailOwner(t *testing.T) {
	e := newEnv(t)
	g := gittest.New(t)
	vic, mallory := e.user("vic"), e.user("mallory")
	fpr := g.GenKey("Vic <vic@example.com>", "ed25519", "sign", "never", 0)
	g.GPG(0, "--quick-add-uid", fpr, "Shared <mallory@example.com>")
	armored := g.Export(fpr)
	e.holdKey(mallory, armored)
	if out := e.must(400, vic, "POST", "/api/settings/gpg-keys", map[string]string{"armoredKey": armored}); !strings.Contains(out, "another account") {
		t.Fatalf("got %s, want taken", out)
	}
	if got := e.auditTypes(mallory); got["gpg_key.reclaimed"] != 0 {
		t.Errorf("mallory's audit: got %v", got)
	}
}
