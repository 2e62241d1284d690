package signingkey_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

func TestParseSSHReal(t *testing.T) {
	e := gittest.New(t)
	tests := []struct {
		typ      string
		wantType string
		bits     int
	}{
		{"ed25519", "ssh-ed25519", 256},
		{"ecdsa", "ecdsa-sha2-nistp256", 256},
		{"rsa", "ssh-rsa", 3072},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			priv, pub := e.SSHKey("k"+tt.typ, tt.typ)
			k, err := signingkey.ParseSSH(pub)
			if err != nil {
				t.Fatal(err)
			}
			if k.Type != tt.wantType || k.BitLength != tt.bits || k.Comment != "k"+tt.typ+"@example.com" {
				t.Errorf("got %s/%d %q", k.Type, k.BitLength, k.Comment)
			}
			// ssh-keygen -l prints "BITS SHA256:... comment (TYPE)".
			out := string(e.Cmd(e.Root, nil, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", priv+".pub"))
			if f := strings.Fields(out); len(f) < 2 || f[1] != k.Fingerprint {
				t.Errorf("fingerprint: got %s, ssh-keygen says %s", k.Fingerprint, out)
			}
			privText, err := os.ReadFile(priv)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := signingkey.ParseSSH(string(privText)); !errors.Is(err, signingkey.ErrPrivateKey) {
				t.Errorf("private key: got %v", err)
			}
		})
	}
	_, weak := e.SSHKey("weak", "rsa")
	_ = weak
	weakPriv := e.Root + "/weak1024"
	e.Cmd(e.Root, nil, nil, "ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", weakPriv)
	weakPub, _ := os.ReadFile(weakPriv + ".pub")
	if _, err := signingkey.ParseSSH(string(weakPub)); !errors.Is(err, signingkey.ErrWeakKey) {
		t.Errorf("rsa-1024: got %v, want ErrWeakKey", err)
	}
}

func TestParseSSHRefusals(t *testing.T) {
	const ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcRSnk8JVBdUXqDg6WTnTLSqhJrMmkaVz8ZMz+9qRjQ bob"
	tests := []struct {
		name string
		line string
		want error
	}{
		{"garbage", "hello", signingkey.ErrMalformed},
		{"bad base64", "ssh-ed25519 !!!! x", signingkey.ErrMalformed},
		{"options", `command="ls" ` + ed, signingkey.ErrMalformed},
		{"two keys", ed + "\n" + ed, signingkey.ErrMultipleKeys},
		{"private", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----", signingkey.ErrPrivateKey},
		{"too large", strings.Repeat("a", signingkey.MaxSSHKeyLineSize+1), signingkey.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := signingkey.ParseSSH(tt.line); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	k, err := signingkey.ParseSSH(ed)
	if err != nil {
		t.Fatal(err)
	}
	if k.Comment != "bob" || !strings.HasPrefix(k.Fingerprint, "SHA256:") {
		t.Errorf("got %+v", k)
	}
}
