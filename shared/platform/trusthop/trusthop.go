// Package trusthop signs and verifies the hop from the gateway to a backend
// (the git server, the inference backend), so that a backend admits a
// request only when the gateway, after the authorizer, sent it: the
// X-Trust-* headers alone prove nothing to a backend anyone can reach.
//
// The signature is an HMAC-SHA256, keyed by a secret the gateway and the
// backend share, over the method, the path with its query, a Unix
// timestamp and every X-Trust-* header the backend reads (the principal,
// the decision, its status and reason, the token id and role). A backend
// refuses a missing or wrong signature and a timestamp more than MaxSkew
// away from its clock.
package trusthop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed hop.
const (
	HeaderSignature = "X-Trust-Signature"
	HeaderTimestamp = "X-Trust-Timestamp"
	// MaxSkew bounds the distance between the signer's and the verifier's
	// clocks, and so how long a captured request can be replayed.
	MaxSkew = 5 * time.Minute
	// MinSecret is the shortest secret accepted, in bytes.
	MinSecret = 32
	version   = "v1"
)

// SignedHeaders are the headers a signature covers, in this order; an
// absent header is signed as empty.
var SignedHeaders = []string{"X-Trust-User", "X-Trust-Decision", "X-Trust-Status", "X-Trust-Reason", "X-Trust-Token-Id", "X-Trust-Role", "X-Trust-Repo-Id"}

// Errors of Verify.
var (
	ErrUnsigned = errors.New("trust hop: no signature")
	ErrStale    = errors.New("trust hop: timestamp outside the allowed clock skew")
	ErrBad      = errors.New("trust hop: signature does not match")
)

// Key signs and verifies hops with one secret.
type Key struct {
	secret []byte
	now    func() time.Time
}

// New returns a key for secret, which must be at least MinSecret bytes.
func New(secret []byte) (*Key, error) {
	if len(secret) < MinSecret {
		return nil, fmt.Errorf("trust hop secret is %d bytes: use at least %d random bytes", len(secret), MinSecret)
	}
	return &Key{secret: append([]byte(nil), secret...), now: time.Now}, nil
}

// Sign sets HeaderTimestamp and HeaderSignature on h for a request with
// method and pathQuery (the escaped path, then "?" and the raw query when
// there is one), over the X-Trust-* values already in h.
func (k *Key) Sign(h http.Header, method, pathQuery string) {
	ts := strconv.FormatInt(k.now().Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, version+"="+hex.EncodeToString(k.mac(method, pathQuery, ts, h)))
}

// Verify checks r's signature and timestamp.
func (k *Key) Verify(r *http.Request) error {
	sig, ts := r.Header.Get(HeaderSignature), r.Header.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return ErrUnsigned
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBad
	}
	if d := k.now().Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, version+"="))
	if err != nil || !strings.HasPrefix(sig, version+"=") {
		return ErrBad
	}
	if !hmac.Equal(got, k.mac(r.Method, PathQuery(r), ts, r.Header)) {
		return ErrBad
	}
	return nil
}

// PathQuery is the escaped path of r and its raw query, as signed.
func PathQuery(r *http.Request) string {
	pq := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		pq += "?" + r.URL.RawQuery
	}
	return pq
}

// mac is the HMAC of the canonical request: one field per line, each
// length-prefixed so that no value can shift into its neighbour.
func (k *Key) mac(method, pathQuery, ts string, h http.Header) []byte {
	m := hmac.New(sha256.New, k.secret)
	field := func(v string) { fmt.Fprintf(m, "%d:%s\n", len(v), v) }
	field(version)
	field(method)
	field(pathQuery)
	field(ts)
	for _, name := range SignedHeaders {
		field(strings.Join(h.Values(name), ","))
	}
	return m.Sum(nil)
}
