package signingkey_test

import (
	"errors"
	"os"
	"testing"

	"github.com/hubsec/trustlayer/shared/signingkey"
)

func FuzzParseGPG(f *testing.F) {
	alice, err := os.ReadFile("testdata/alice.asc")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(alice))
	f.Add("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n")
	f.Fuzz(func(t *testing.T, armored string) {
		k, err := signingkey.ParseGPG(armored)
		if err != nil {
			var ke *signingkey.KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("error %T is not a *KeyError: %v", err, err)
			}
			return
		}
		if k.Entity() == nil || len(k.KeyID) != 16 {
			t.Fatalf("accepted key without entity or key id: %+v", k)
		}
	})
}

func FuzzParseSSH(f *testing.F) {
	bob, err := os.ReadFile("testdata/bob-ssh.pub")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(bob))
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x")
	f.Fuzz(func(t *testing.T, line string) {
		k, err := signingkey.ParseSSH(line)
		if err != nil {
			var ke *signingkey.KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("error %T is not a *KeyError: %v", err, err)
			}
			return
		}
		again, err := signingkey.ParseSSH(k.Key)
		if err != nil || again.Fingerprint != k.Fingerprint {
			t.Fatalf("Key does not round-trip: %v", err)
		}
	})
}
