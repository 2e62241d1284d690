package githook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a hook call's signature: "t=<unix seconds>,
// v1=<hex HMAC-SHA256>". Only the git server and the functions that serve
// its calls (commits, uploads) and the sweeper (which redelivers manifests)
// hold the key (HookSecret in template.yaml, a Secrets Manager secret), so
// lambda:InvokeFunction on those functions is not enough to push as a
// user: the call must also be signed.
const SignatureHeader = "X-Trust-Hook-Signature"

// MaxSkew bounds a signature's age (and how far ahead of the function's
// clock it may be): a captured call replays for at most this long.
const MaxSkew = 5 * time.Minute

// MinKeyLen is the shortest hook key accepted.
const MinKeyLen = 32

// signed is what the MAC covers: the time, the route, the pusher and the
// body's hash, each on its own line.
func signed(t int64, method, path, user string, body []byte) []byte {
	h := sha256.Sum256(body)
	return []byte(fmt.Sprintf("trustlayer-hook-v1\n%d\n%s %s\n%s\n%x", t, method, path, user, h))
}

func mac(key []byte, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Sign returns the SignatureHeader value of a call made at now.
func Sign(key []byte, now time.Time, method, path, user string, body []byte) string {
	t := now.Unix()
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(mac(key, signed(t, method, path, user, body)))
}

// Errors of Verify.
var (
	ErrNoKey        = errors.New("no hook key is configured")
	ErrNoSignature  = errors.New("the call is not signed")
	ErrBadSignature = errors.New("the call's signature does not match")
	ErrStale        = errors.New("the call's signature is too old or from the future")
)

// Verify checks header (SignatureHeader's value) against the call, in
// constant time; fail closed: no key, no header, a malformed header, a
// time outside MaxSkew or a wrong MAC is an error.
func Verify(key []byte, header string, now time.Time, method, path, user string, body []byte) error {
	if len(key) < MinKeyLen {
		return ErrNoKey
	}
	if header == "" {
		return ErrNoSignature
	}
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	got, herr := hex.DecodeString(sig)
	if err != nil || herr != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	if !hmac.Equal(got, mac(key, signed(t, method, path, user, body))) {
		return ErrBadSignature
	}
	return nil
}
