package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestGenerate(t *testing.T) {
	for _, k := range []Kind{KindUser, KindOrg, KindSession} {
		t.Run(k.String(), func(t *testing.T) {
			seen := map[string]bool{}
			for range 100 {
				s, err := Generate(k)
				if err != nil {
					t.Fatalf("Generate: %v", err)
				}
				v := s.Reveal()
				if got, want := len(v), k.Len(); got != want {
					t.Fatalf("len = %d, want %d", got, want)
				}
				if !strings.HasPrefix(v, k.Prefix()) {
					t.Fatalf("token %s lacks prefix %q", s, k.Prefix())
				}
				got, err := Parse(v)
				if err != nil || got != k {
					t.Fatalf("Parse(generated) = %v, %v, want %v, nil", got, err, k)
				}
				if s.Kind() != k {
					t.Fatalf("Kind() = %v, want %v", s.Kind(), k)
				}
				if seen[v] {
					t.Fatalf("duplicate token after %d", len(seen))
				}
				seen[v] = true
			}
		})
	}
}

func TestGenerateEmailCode(t *testing.T) {
	for range 100 {
		s, err := Generate(KindEmailCode)
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if err := ParseCode(s.Reveal()); err != nil {
			t.Fatalf("ParseCode(generated): %v", err)
		}
		if _, err := Parse(s.Reveal()); err == nil {
			t.Fatalf("Parse accepted an email code")
		}
	}
}

func TestGenerateUnknownKind(t *testing.T) {
	for _, k := range []Kind{KindInvalid, 99} {
		if _, err := Generate(k); !errors.Is(err, ErrUnknownKind) {
			t.Errorf("Generate(%d) error = %v, want ErrUnknownKind", k, err)
		}
	}
}

func TestGenerateRandomFailure(t *testing.T) {
	boom := errors.New("boom")
	_, err := generate(iotest.ErrReader(boom), KindUser)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
}

// cycle returns a reader that yields 0, 1, ..., 255 repeatedly: every byte
// value equally often, so an unbiased sampler must give every symbol equally
// often.
func cycle(n int) *bytes.Reader {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return bytes.NewReader(b)
}

func TestFillUniformHasNoModuloBias(t *testing.T) {
	tests := []struct {
		alphabet string
		perCycle int // accepted bytes per 256: 256 - 256%len
	}{
		{Alphabet, 208},
		{digits, 250},
	}
	for _, tt := range tests {
		const cycles = 4
		dst := make([]byte, tt.perCycle*cycles)
		if err := fillUniform(cycle(256*cycles+64), dst, tt.alphabet); err != nil {
			t.Fatalf("fillUniform: %v", err)
		}
		counts := map[byte]int{}
		for _, c := range dst {
			counts[c]++
		}
		want := tt.perCycle / len(tt.alphabet) * cycles
		for i := 0; i < len(tt.alphabet); i++ {
			if got := counts[tt.alphabet[i]]; got != want {
				t.Errorf("symbol %q appears %d times, want %d", tt.alphabet[i], got, want)
			}
		}
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k          Kind
		name, pref string
		n          int
	}{
		{KindInvalid, "invalid", "", 0},
		{KindUser, "user", "hf_", 37},
		{KindOrg, "org", "api_org_", 42},
		{KindSession, "session", "hfs_", 38},
		{KindEmailCode, "email_code", "", 8},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.name {
			t.Errorf("String() = %q, want %q", got, tt.name)
		}
		if got := tt.k.Prefix(); got != tt.pref {
			t.Errorf("%s Prefix() = %q, want %q", tt.name, got, tt.pref)
		}
		if got := tt.k.Len(); got != tt.n {
			t.Errorf("%s Len() = %d, want %d", tt.name, got, tt.n)
		}
	}
}
