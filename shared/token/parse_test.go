package token

import (
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// Tokens whose checksums were computed independently with Python's
// zlib.crc32 and a separate base-52 encoder.
const (
	validUser    = "hf_abcdefghijklmnopqrstuvwxyzABCrIyhP" // crc 0x402383e3
	validOrg     = "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"
	validSession = "hfs_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZLDjIxU"
	validUserA   = "hf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAIwOvtj"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Kind
		wantErr error
	}{
		{"user", validUser, KindUser, nil},
		{"user all A", validUserA, KindUser, nil},
		{"org", validOrg, KindOrg, nil},
		{"session", validSession, KindSession, nil},
		{"empty", "", KindInvalid, ErrPrefix},
		{"no prefix", "abcdefghijklmnopqrstuvwxyzABCrIyhP", KindInvalid, ErrPrefix},
		{"upper prefix", "HF_abcdefghijklmnopqrstuvwxyzABCrIyhP", KindInvalid, ErrPrefix},
		{"github prefix", "ghp_abcdefghijklmnopqrstuvwxyzABCrIyhP", KindInvalid, ErrPrefix},
		{"api_ without org", "api_QwErTyUiOpAsDfGhJkLzXcVbNmQwJojbVt", KindInvalid, ErrPrefix},
		{"prefix only", "hf_", KindInvalid, ErrLength},
		{"one short", validUser[:len(validUser)-1], KindInvalid, ErrLength},
		{"one long", validUser + "A", KindInvalid, ErrLength},
		{"trailing newline", validUser + "\n", KindInvalid, ErrLength},
		{"leading space", " " + validUser, KindInvalid, ErrPrefix},
		{"digit", "hf_abcdefghijklmnopqrstuvwxyz0BCrIyhP", KindInvalid, ErrAlphabet},
		{"underscore", "hf_abcdefghijklmnopqrstuvwxyz_BCrIyhP", KindInvalid, ErrAlphabet},
		{"NUL", "hf_abcdefghijklmnopqrstuvwxyz\x00BCrIyhP", KindInvalid, ErrAlphabet},
		// "é" is two bytes: replacing one letter makes the token one byte too
		// long, replacing two letters keeps the length but not the alphabet.
		{"unicode longer", "hf_abcdefghijklmnopqrstuvwxyzéBCrIyhP", KindInvalid, ErrLength},
		{"unicode same length", "hf_abcdefghijklmnopqrstuvwxyéBCrIyhP", KindInvalid, ErrAlphabet},
		{"fullwidth letters", "hf_ａbcdefghijklmnopqrstuvwxyzABCrIyhP", KindInvalid, ErrLength},
		{"typo in random part", validUser[:5] + "X" + validUser[6:], KindInvalid, ErrChecksum},
		{"typo in checksum", validUser[:len(validUser)-1] + "Q", KindInvalid, ErrChecksum},
		{"swapped letters", "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", KindInvalid, ErrChecksum},
		{"user body with org prefix", "api_org_" + validUser[3:], KindInvalid, ErrChecksum},
		{"user body with session prefix", "hfs_" + validUser[3:], KindInvalid, ErrChecksum},
		{"case flipped", "hf_AbcdefghijklmnopqrstuvwxyzABCrIyhP", KindInvalid, ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if got != tt.want {
				t.Errorf("Parse kind = %v, want %v", got, tt.want)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse error %v does not match ErrMalformed", err)
			}
		})
	}
}

func TestParseEveryOneLetterTypo(t *testing.T) {
	for i := len(PrefixUser); i < len(validUser); i++ {
		for j := 0; j < len(Alphabet); j++ {
			c := Alphabet[j]
			if c == validUser[i] {
				continue
			}
			s := validUser[:i] + string(c) + validUser[i+1:]
			if _, err := Parse(s); !errors.Is(err, ErrChecksum) {
				t.Fatalf("Parse(typo at %d) error = %v, want ErrChecksum", i, err)
			}
		}
	}
}

func TestParseErrorsDoNotContainInput(t *testing.T) {
	for _, s := range []string{"hf_secretsecretsecret", validUser[:len(validUser)-1] + "Q", "hf_abcdefghijklmnopqrstuvwxyz0BCrIyhP"} {
		_, err := Parse(s)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", s)
		}
		if got := err.Error(); len(got) > 0 && containsAny(got, s[3:10]) {
			t.Errorf("error %q contains part of the input", got)
		}
	}
}

func containsAny(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestChecksumMatchesCRC32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 1000; n++ {
		b := make([]byte, r.IntN(80))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if got, want := checksum(string(b)), crc32.ChecksumIEEE(b); got != want {
			t.Fatalf("checksum(%x) = %#x, want %#x", b, got, want)
		}
	}
}

func TestEncodeChecksum(t *testing.T) {
	tests := []struct {
		sum  uint32
		want string
	}{
		{0, "AAAAAA"},
		{1, "AAAAAB"},
		{51, "AAAAAz"},
		{52, "AAAABA"},
		{0x402383e3, "CrIyhP"},
		{0xffffffff, "LPVjYv"},
	}
	for _, tt := range tests {
		var c [ChecksumLen]byte
		encodeChecksum(&c, tt.sum)
		if got := string(c[:]); got != tt.want {
			t.Errorf("encodeChecksum(%#x) = %q, want %q", tt.sum, got, tt.want)
		}
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"01234567", nil},
		{"99999999", nil},
		{"1234567", ErrLength},
		{"123456789", ErrLength},
		{"1234567a", ErrAlphabet},
		{"１２３４", ErrLength},
		{"", ErrLength},
	}
	for _, tt := range tests {
		if got := ParseCode(tt.in); !errors.Is(got, tt.want) {
			t.Errorf("ParseCode(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
