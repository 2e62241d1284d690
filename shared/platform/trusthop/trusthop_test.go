package trusthop

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var secret = []byte(strings.Repeat("k", MinSecret))

func signed(t *testing.T, k *Key, method, target string, hdr map[string]string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for n, v := range hdr {
		r.Header.Set(n, v)
	}
	k.Sign(r.Header, method, PathQuery(r))
	return r
}

func TestVerify(t *testing.T) {
	k, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	allow := map[string]string{"X-Trust-User": "alice", "X-Trust-Decision": "allow"}
	other, _ := New([]byte(strings.Repeat("o", MinSecret)))
	tests := []struct {
		name string
		req  func() *http.Request
		want error
	}{
		{"signed", func() *http.Request { return signed(t, k, "POST", "/alice/m.git/git-receive-pack?x=1", allow) }, nil},
		{"unsigned", func() *http.Request {
			r := httptest.NewRequest("POST", "/alice/m.git/git-receive-pack", nil)
			r.Header.Set("X-Trust-Decision", "allow")
			return r
		}, ErrUnsigned},
		{"other key", func() *http.Request { return signed(t, other, "POST", "/alice/m.git/git-receive-pack", allow) }, ErrBad},
		{"principal changed", func() *http.Request {
			r := signed(t, k, "POST", "/alice/m.git/git-receive-pack", allow)
			r.Header.Set("X-Trust-User", "mallory")
			return r
		}, ErrBad},
		{"decision changed", func() *http.Request {
			r := signed(t, k, "GET", "/alice/m.git/info/refs", map[string]string{"X-Trust-Decision": "deny"})
			r.Header.Set("X-Trust-Decision", "allow")
			return r
		}, ErrBad},
		{"method changed", func() *http.Request {
			r := signed(t, k, "GET", "/alice/m.git/git-receive-pack", allow)
			r.Method = "POST"
			return r
		}, ErrBad},
		{"path changed", func() *http.Request {
			r := signed(t, k, "GET", "/alice/m.git/info/refs", allow)
			r.URL.Path = "/bob/m.git/info/refs"
			return r
		}, ErrBad},
		{"query changed", func() *http.Request {
			r := signed(t, k, "GET", "/alice/m.git/info/refs?service=git-upload-pack", allow)
			r.URL.RawQuery = "service=git-receive-pack"
			return r
		}, ErrBad},
		{"garbage signature", func() *http.Request {
			r := signed(t, k, "GET", "/", allow)
			r.Header.Set(HeaderSignature, "v1=zz")
			return r
		}, ErrBad},
		{"timestamp changed", func() *http.Request {
			r := signed(t, k, "GET", "/", allow)
			r.Header.Set(HeaderTimestamp, "1")
			return r
		}, ErrStale},
	}
	for _, tt := range tests {
		if err := k.Verify(tt.req()); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestVerifyClockSkew(t *testing.T) {
	k, _ := New(secret)
	now := time.Unix(1_800_000_000, 0)
	for _, tt := range []struct {
		name   string
		signed time.Time
		want   error
	}{
		{"just inside, past", now.Add(-MaxSkew), nil},
		{"stale", now.Add(-MaxSkew - time.Second), ErrStale},
		{"just inside, future", now.Add(MaxSkew), nil},
		{"future", now.Add(MaxSkew + time.Second), ErrStale},
	} {
		k.now = func() time.Time { return tt.signed }
		r := signed(t, k, "GET", "/a/b.git/info/refs", nil)
		k.now = func() time.Time { return now }
		if err := k.Verify(r); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNewRefusesShortSecret(t *testing.T) {
	if _, err := New([]byte("short")); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}
