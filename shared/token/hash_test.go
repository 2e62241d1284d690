package token

import "testing"

func TestHash(t *testing.T) {
	// Computed with Python's hashlib.sha256.
	const want = "7a2a197ddb3f2f02c5e56867b3daf2dade46fbee624205c3afa8954a8052071d"
	if got := Hash(validUser); got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if Hash(validUser) == Hash(validUserA) {
		t.Errorf("different tokens share a hash")
	}
}

func TestCodeHash(t *testing.T) {
	// Computed with Python's hmac.new(key, b"email-code\x00alice\x0012345678", sha256).
	tests := []struct {
		pepper, account, code, want string
	}{
		{"pepper", "alice", "12345678", "b04c7b4f878d15cc2d6fdc37571893a41ffb683c5edf6b3b04e2203d3ebc7ada"},
		{"", "alice", "12345678", "fb49ed80d82c6b1ad5b32acfa9b9c2d7363f14b2d0f54ea8a19bf5cd5717e965"},
	}
	for _, tt := range tests {
		if got := CodeHash([]byte(tt.pepper), tt.account, tt.code); got != tt.want {
			t.Errorf("CodeHash(%q, %q, code) = %s, want %s", tt.pepper, tt.account, got, tt.want)
		}
	}
	if CodeHash(nil, "alice", "12345678") == CodeHash(nil, "bob", "12345678") {
		t.Errorf("CodeHash does not bind the account")
	}
}

func TestEqual(t *testing.T) {
	h := Hash(validUser)
	tests := []struct {
		a, b string
		want bool
	}{
		{h, h, true},
		{"", "", true},
		{h, Hash(validUserA), false},
		{h, h[:63], false},
		{h, h + "0", false},
		{h, "", false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
