package signature_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/signature"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureDir knows alice's OpenPGP key and bob's SSH key from testdata,
// objects made once with real git (see gitobject/testdata).
func fixtureDir(t testing.TB) *fakeDir {
	d := newDir()
	d.addGPG(t, "alice", string(readFile(t, "alice.asc")))
	d.addSSH(t, "bob", string(readFile(t, "bob-ssh.pub")))
	d.emails["alice@example.com"] = owner{"alice", true}
	d.emails["bob@example.com"] = owner{"bob", true}
	return d
}

// TestVerifyFixtures runs without git or gpg installed.
func TestVerifyFixtures(t *testing.T) {
	d := fixtureDir(t)
	tests := []struct {
		file   string
		kind   signature.ObjectKind
		reason signature.Reason
	}{
		{"commit-gpg.txt", signature.Commit, signature.ReasonValid},
		{"commit-encoding.txt", signature.Commit, signature.ReasonValid},
		{"commit-mergetag.txt", signature.Commit, signature.ReasonValid},
		{"commit-sha256.txt", signature.Commit, signature.ReasonValid},
		{"commit-ssh.txt", signature.Commit, signature.ReasonValid},
		{"commit-unsigned.txt", signature.Commit, signature.ReasonUnsigned},
		{"tag-gpg.txt", signature.Tag, signature.ReasonValid},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := signature.Verify(context.Background(), readFile(t, tt.file), tt.kind, d, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if res.Reason != tt.reason {
				t.Errorf("got %s, want %s", res.Reason, tt.reason)
			}
		})
	}
}
