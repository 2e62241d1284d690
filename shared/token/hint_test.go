package token

import "testing"

func TestHint(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{validUser, "hf_...IyhP"},
		{validOrg, "api_org_...jbVt"},
		{validSession, "hfs_...jIxU"},
		{validUser[:len(validUser)-1] + "Q", "hf_...IyhQ"}, // bad checksum, still token-shaped
		{"hf_short", "***"},
		{"hf_abcdefghijklmnopqrstuvwxyz0BCrIyhP", "***"},
		{"12345678", "***"},
		{"correct horse battery staple", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := Hint(tt.in); got != tt.want {
			t.Errorf("Hint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
