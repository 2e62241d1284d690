package scan

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestParsePushCheck: the bounds of a push check's body.
func TestParsePushCheck(t *testing.T) {
	body := func(files ...PushFile) []byte {
		b, _ := json.Marshal(PushCheckRequest{Repo: "model/a/b", Files: files})
		return b
	}
	if _, err := ParsePushCheck(body(PushFile{Path: "a", Data: []byte("x"), Size: 1}, PushFile{Path: "b", Key: PushCheckPrefix + "r/b", Size: MaxRegularFile})); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"not JSON", []byte("{"), "push check"},
		{"bytes and key", body(PushFile{Path: "a", Data: []byte("x"), Key: PushCheckPrefix + "x", Size: 1}), "both"},
		{"key outside the prefix", body(PushFile{Path: "a", Key: "git/x", Size: 1}), "key outside"},
		{"key climbing out", body(PushFile{Path: "a", Key: PushCheckPrefix + "../git/x", Size: 1}), "key outside"},
		{"over the regular file limit", body(PushFile{Path: "a", Key: PushCheckPrefix + "x", Size: MaxRegularFile + 1}), "at most"},
		{"size disagrees", body(PushFile{Path: "a", Data: []byte("xy"), Size: 1}), "size says"},
		{"inline over the request bound", body(PushFile{Path: "a", Data: make([]byte, PushCheckInline), Size: PushCheckInline}, PushFile{Path: "b", Data: []byte("x"), Size: 1}), "inline bytes"},
	} {
		if _, err := ParsePushCheck(tt.b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}
