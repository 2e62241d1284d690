package randid

import (
	"encoding/hex"
	"testing"
)

func TestHex(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := New()
		if b, err := hex.DecodeString(id); err != nil || len(b) != 12 {
			t.Fatalf("New() = %q: want 24 hex characters", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
	if got := Hex(4); len(got) != 8 {
		t.Errorf("Hex(4) = %q: want 8 hex characters", got)
	}
}
