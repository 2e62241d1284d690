package token

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that whatever it accepts has the
// documented shape and a checksum that regenerates identically, and that
// Hint and Redact never give back the random part of an accepted token.
func FuzzParse(f *testing.F) {
	for _, s := range []string{validUser, validOrg, validSession, validUserA, "", "hf_", "api_org_", "hfs_",
		validUser[:len(validUser)-1] + "Q", "hf_abcdefghijklmnopqrstuvwxyzéBCrIyhP", "12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if k != KindInvalid {
				t.Fatalf("Parse(%q) = %v with error %v", s, k, err)
			}
			_ = Hint(s)
			_ = Redact(s)
			return
		}
		p := k.Prefix()
		if p == "" || !strings.HasPrefix(s, p) || len(s) != len(p)+BodyLen || !isLetters(s[len(p):]) {
			t.Fatalf("Parse accepted %q as %v", s, k)
		}
		body := s[:len(p)+RandomLen]
		var c [ChecksumLen]byte
		encodeChecksum(&c, checksum(body))
		if body+string(c[:]) != s {
			t.Fatalf("checksum of %q regenerates as %q", body, c)
		}
		random := s[len(p) : len(p)+RandomLen]
		if strings.Contains(Hint(s), random[RandomLen-8:]) || strings.Contains(Redact("x "+s+" y"), random[:8]) {
			t.Fatalf("Hint or Redact leaks part of %q", s)
		}
	})
}

// FuzzRedact checks that Redact never panics and that its output contains no
// complete token-shaped substring.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"", validUser, "a" + validOrg + "b" + validSession, "hf_hf_" + validUser, "api_org_hf_" + validUserA} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s)
		for i := 0; i < len(out); i++ {
			if _, n := tokenAt(out, i); n != 0 {
				t.Fatalf("Redact(%q) = %q still holds a token at %d", s, out, i)
			}
		}
	})
}
