package gitobject

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
)

// Kind is the type of a git object this package parses.
type Kind string

// Object kinds.
const (
	KindCommit Kind = "commit"
	KindTag    Kind = "tag"
)

// Format is a repository's object format (hash function).
type Format string

// Object formats.
const (
	SHA1   Format = "sha1"
	SHA256 Format = "sha256"
)

// hexLen is the length of an object id in hex for the format.
func (f Format) hexLen() int {
	if f == SHA256 {
		return 64
	}
	return 40
}

// ObjectID returns the hex object id of raw as git computes it: the hash of
// "<kind> <len>\0" followed by raw.
func ObjectID(kind Kind, raw []byte, f Format) string {
	var h hash.Hash
	if f == SHA256 {
		h = sha256.New()
	} else {
		h = sha1.New()
	}
	h.Write([]byte(string(kind) + " " + strconv.Itoa(len(raw)) + "\x00"))
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// formatOf detects the object format from an object id written in a header.
func formatOf(id string) (Format, error) {
	var f Format
	switch len(id) {
	case 40:
		f = SHA1
	case 64:
		f = SHA256
	default:
		return "", fmt.Errorf("%q is %d characters, want 40 (SHA-1) or 64 (SHA-256)", truncate(id), len(id))
	}
	if !isLowerHex(id) {
		return "", fmt.Errorf("%q is not lowercase hex", truncate(id))
	}
	return f, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 70 {
		return s[:70] + "..."
	}
	return s
}
