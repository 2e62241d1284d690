package token

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	long := "hf_" + strings.Repeat("x", 40)
	tests := []struct {
		name, in, want string
	}{
		{"nothing", "GET /api/whoami-v2 200", "GET /api/whoami-v2 200"},
		{"empty", "", ""},
		{"bearer", "Authorization: Bearer " + validUser, "Authorization: Bearer hf_...IyhP"},
		{"org", "token=" + validOrg + "&x=1", "token=api_org_...jbVt&x=1"},
		{"session cookie", "Cookie: session=" + validSession + "; theme=dark", "Cookie: session=hfs_...jIxU; theme=dark"},
		{"two", validUser + "," + validUserA, "hf_...IyhP,hf_...Ovtj"},
		{"glued to a word", "x" + validUser + "!", "xhf_...IyhP!"},
		{"bad checksum still masked", validUser[:len(validUser)-1] + "Q", "hf_...IyhQ"},
		{"longer letter run masked whole", long + " end", "hf_...xxxx end"},
		{"too short to be a token", "hf_abc and api_org_", "hf_abc and api_org_"},
		{"in JSON", `{"token":"` + validUser + `"}`, `{"token":"hf_...IyhP"}`},
		{"overlapping tokens", "api_org_" + strings.Repeat("A", 32) + "hf_" + strings.Repeat("B", 34), "api_org_...AAhf_...BBBB"},
		{"unicode around", "ключ " + validUser + " 🔑", "ключ hf_...IyhP 🔑"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedactCleanStringDoesNotAllocate(t *testing.T) {
	s := "GET /api/models/acme/bert 200 hf_ api_org_ short"
	if n := testing.AllocsPerRun(100, func() { _ = Redact(s) }); n != 0 {
		t.Errorf("Redact of a clean string allocates %v times, want 0", n)
	}
}
