package githook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/githook"
)

func TestSignVerify(t *testing.T) {
	key := []byte("k0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"key":"_index/x"}`)
	sig := githook.Sign(key, now, "POST", githook.IndexPath, "alice", body)
	if err := githook.Verify(key, sig, now.Add(time.Minute), "POST", githook.IndexPath, "alice", body); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	for _, tt := range []struct {
		name string
		key  []byte
		sig  string
		now  time.Time
		user string
		body []byte
		want error
	}{
		{"no key", nil, sig, now, "alice", body, githook.ErrNoKey},
		{"short key", []byte("short"), sig, now, "alice", body, githook.ErrNoKey},
		{"no signature", key, "", now, "alice", body, githook.ErrNoSignature},
		{"malformed", key, "v1=00", now, "alice", body, githook.ErrBadSignature},
		{"other user", key, sig, now, "bob", body, githook.ErrBadSignature},
		{"other body", key, sig, now, "alice", []byte("{}"), githook.ErrBadSignature},
		{"too old", key, sig, now.Add(githook.MaxSkew + time.Second), "alice", body, githook.ErrStale},
		{"from the future", key, sig, now.Add(-githook.MaxSkew - time.Second), "alice", body, githook.ErrStale},
	} {
		if err := githook.Verify(tt.key, tt.sig, tt.now, "POST", githook.IndexPath, tt.user, tt.body); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}
