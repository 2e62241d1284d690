package gitobject

import (
	"bytes"
	"testing"
)

// seeds are real objects printed by git (testdata) plus edge cases.
func seeds(f *testing.F) {
	for _, name := range []string{
		"commit-gpg.txt", "commit-unsigned.txt", "commit-encoding.txt", "commit-ssh.txt",
		"commit-mergetag.txt", "commit-sha256.txt", "tag-gpg.txt",
	} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor <> 0 +0000\ncommitter <> 0 +0000\n"))
	f.Add([]byte("object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype commit\ntag x\n\n-----BEGIN SSH SIGNATURE-----\n"))
}

func FuzzParseCommit(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseCommit(raw)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not *ParseError", err)
			}
			return
		}
		if len(c.Payload) > len(raw) {
			t.Fatalf("payload longer than raw")
		}
		if c.Signature == nil && !bytes.Equal(c.Payload, raw) && !bytes.Contains(raw, []byte("gpgsig")) {
			t.Fatalf("unsigned commit payload differs from raw")
		}
		if len(c.ID()) != c.Format.hexLen() {
			t.Fatalf("id length %d for %s", len(c.ID()), c.Format)
		}
		// The payload of a valid commit is itself a valid unsigned commit.
		c2, err := ParseCommit(c.Payload)
		if err != nil {
			t.Fatalf("payload does not parse: %v", err)
		}
		if c2.Signature != nil || !bytes.Equal(c2.Payload, c.Payload) {
			t.Fatalf("payload still signed")
		}
	})
}

func FuzzSplitSignature(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		payload, sig, err := SplitSignature(KindTag, raw)
		if err == nil {
			if !bytes.Equal(append(append([]byte{}, payload...), sig...), raw) {
				t.Fatalf("tag payload + signature != raw")
			}
		}
		payload, sig, err = SplitSignature(KindCommit, raw)
		if err != nil {
			return
		}
		if len(payload)+len(sig) > len(raw)+bytes.Count(raw, []byte("\n")) {
			t.Fatalf("split produced more bytes than the input")
		}
		if sig != nil && !bytes.HasSuffix(sig, []byte("\n")) {
			t.Fatalf("signature does not end with a newline: %q", sig)
		}
	})
}
