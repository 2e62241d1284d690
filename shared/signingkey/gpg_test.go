package signingkey_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

func TestParseGPGReal(t *testing.T) {
	e := gittest.New(t)
	ed := e.GenKey("Alice <alice@example.com>", "ed25519", "sign", "never", 0)
	rsa := e.GenKey("Rita <rita@example.com>", "rsa3072", "default", "2y", 0)
	sub := e.GenKey("Sam <sam@example.com>", "ed25519", "cert", "never", 0)
	e.AddSubkey(sub, "ed25519", "sign", "1y", 0)
	weak := e.GenKey("Wes <wes@example.com>", "rsa1024", "sign", "never", 0)
	past := time.Now().Add(-48 * time.Hour).Unix()
	expired := e.GenKey("Ed <ed@example.com>", "ed25519", "sign", "seconds=60", past)
	revoked := e.GenKey("Rev <rev@example.com>", "ed25519", "sign", "never", 0)
	e.Revoke(revoked)
	// Markup before the address: the email is the last <...>.
	markup := e.GenKey("Mark <b>bold</b> (dev) <mark@example.com>", "ed25519", "sign", "never", 0)

	tests := []struct {
		name        string
		armored     string
		wantErr     error
		algo        string
		bits        int
		canSign     bool
		canCertify  bool
		subkeys     int
		subCanSign  bool
		email       string
		wantExpired bool
		wantRevoked bool
	}{
		{name: "ed25519", armored: e.Export(ed), algo: "eddsa", bits: 255, canSign: true, canCertify: true, email: "alice@example.com"},
		{name: "rsa3072", armored: e.Export(rsa), algo: "rsa", bits: 3072, canSign: true, canCertify: true, email: "rita@example.com"},
		{name: "signing subkey", armored: e.Export(sub), algo: "eddsa", bits: 255, canCertify: true, subkeys: 1, subCanSign: true, email: "sam@example.com"},
		{name: "expired", armored: e.Export(expired), algo: "eddsa", bits: 255, canSign: true, canCertify: true, email: "ed@example.com", wantExpired: true},
		{name: "revoked", armored: e.Export(revoked), algo: "eddsa", bits: 255, canSign: true, canCertify: true, email: "rev@example.com", wantRevoked: true},
		{name: "markup before the address", armored: e.Export(markup), algo: "eddsa", bits: 255, canSign: true, canCertify: true, email: "mark@example.com"},
		{name: "rsa1024", armored: e.Export(weak), wantErr: signingkey.ErrWeakKey},
		{name: "private", armored: string(e.GPG(0, "--armor", "--export-secret-keys", ed)), wantErr: signingkey.ErrPrivateKey},
		{name: "two keys", armored: string(e.GPG(0, "--armor", "--export", ed, rsa)), wantErr: signingkey.ErrMultipleKeys},
		{name: "two armor blocks", armored: e.Export(ed) + e.Export(rsa), wantErr: signingkey.ErrMultipleKeys},
		{name: "signature not key", armored: "-----BEGIN PGP SIGNATURE-----\n\niHUEABYIAB0WIQ\n=abcd\n-----END PGP SIGNATURE-----\n", wantErr: signingkey.ErrNotPublicKey},
		{name: "garbage", armored: "hello world", wantErr: signingkey.ErrNotPublicKey},
		{name: "ssh key", armored: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBh/1ZQk8n0m4q9W7V3Z5h8dK3Y0hV4O5QOvK1bK0p1s a@b", wantErr: signingkey.ErrNotPublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := signingkey.ParseGPG(tt.armored)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				var ke *signingkey.KeyError
				if !errors.As(err, &ke) {
					t.Fatalf("error %T is not a *KeyError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(k.KeyID) != 16 || strings.ToUpper(k.KeyID) != k.KeyID || !strings.HasSuffix(k.Fingerprint, k.KeyID) {
				t.Errorf("key id %q fingerprint %q", k.KeyID, k.Fingerprint)
			}
			if k.Algorithm != tt.algo || k.BitLength != tt.bits {
				t.Errorf("algorithm: got %s/%d, want %s/%d", k.Algorithm, k.BitLength, tt.algo, tt.bits)
			}
			if k.CanSign != tt.canSign || k.CanCertify != tt.canCertify {
				t.Errorf("caps: got sign=%v certify=%v", k.CanSign, k.CanCertify)
			}
			if len(k.Subkeys) != tt.subkeys {
				t.Fatalf("subkeys: got %d, want %d", len(k.Subkeys), tt.subkeys)
			}
			if tt.subkeys > 0 && tt.subCanSign != k.Subkeys[0].CanSign {
				t.Errorf("subkey can_sign: got %v", k.Subkeys[0].CanSign)
			}
			if tt.subkeys > 0 && k.Subkeys[0].PrimaryKeyID != k.KeyID {
				t.Errorf("subkey primary_key_id: got %q", k.Subkeys[0].PrimaryKeyID)
			}
			if !k.HasEmail(strings.ToUpper(tt.email)) {
				t.Errorf("emails: got %v, want %s", k.Emails, tt.email)
			}
			gotExpired := k.ExpiresAt != nil && k.ExpiresAt.Before(time.Now())
			if gotExpired != tt.wantExpired || k.Revoked != tt.wantRevoked {
				t.Errorf("got expired=%v revoked=%v", gotExpired, k.Revoked)
			}
			if k.Entity() == nil || k.RawKey != tt.armored {
				t.Error("entity or raw key missing")
			}
			js, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			for _, field := range []string{`"key_id"`, `"emails"`, `"subkeys"`, `"can_encrypt_storage"`, `"expires_at"`, `"raw_key"`} {
				if !strings.Contains(string(js), field) {
					t.Errorf("JSON lacks %s: %s", field, js)
				}
			}
		})
	}
}

// TestSubkeyCanSignNeedsBackSignature: a foreign key bound as a flagless
// subkey (no back-signature) is not signing-capable; gpg's own signing
// subkey (with one) is.
func TestSubkeyCanSignNeedsBackSignature(t *testing.T) {
	e := gittest.New(t)
	vic := e.GenKey("Vic <vic@example.com>", "ed25519", "sign", "never", 0)
	sam := e.GenKey("Sam <sam@example.com>", "ed25519", "cert", "never", 0)
	e.AddSubkey(sam, "ed25519", "sign", "never", 0)
	e.AddSubkey(sam, "cv25519", "encr", "never", 0)
	tests := []struct {
		name    string
		armored string
		want    []bool // CanSign of each subkey
	}{
		{"foreign key, no back-signature", e.BindForeignKey(e.Export(vic), "Mallory <mallory@example.com>"), []bool{false}},
		{"gpg signing and encryption subkeys", e.Export(sam), []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := signingkey.ParseGPG(tt.armored)
			if err != nil {
				t.Fatal(err)
			}
			if len(k.Subkeys) != len(tt.want) {
				t.Fatalf("got %d subkeys, want %d", len(k.Subkeys), len(tt.want))
			}
			for i, sub := range k.Subkeys {
				if sub.CanSign != tt.want[i] {
					t.Errorf("subkey %s: CanSign %v, want %v", sub.KeyID, sub.CanSign, tt.want[i])
				}
			}
		})
	}
}

// TestUIDEmail: a user id's email is its last <...>, or the whole user id
// when that is a bare address; anything else names none.
func TestUIDEmail(t *testing.T) {
	for uid, want := range map[string]string{
		"Alice <alice@example.com>":                 "alice@example.com",
		"Alice <b>bold</b> <alice@example.com>":     "alice@example.com",
		"Alice (a <comment>) <alice@example.com>":   "alice@example.com",
		"<b>x</b> Alice <alice@example.com>":        "alice@example.com",
		"alice@example.com":                         "alice@example.com",
		"  <alice@example.com>  ":                   "alice@example.com",
		"Alice":                                     "",
		"Alice <alice@example.com":                  "",
		"Alice <not an address>":                    "",
		"Alice <alice@example.com> <b>":             "",
		"Alice <@example.com>":                      "",
		"Alice Smith alice@example.com":             "",
		"Eve <eve@example.com> trailing":            "eve@example.com",
		"Mark <b>bold</b> (dev) <mark@example.com>": "mark@example.com",
		"Two <one@example.com> <two@example.com>":   "two@example.com",
		"": "",
	} {
		if got := signingkey.UIDEmail(uid); got != want {
			t.Errorf("UIDEmail(%q) = %q, want %q", uid, got, want)
		}
	}
}
