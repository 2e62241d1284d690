// Package randid makes the random hex identifiers used for record ids,
// request ids and unique name suffixes.
package randid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a random identifier: 12 bytes from crypto/rand as 24 hex
// characters.
func New() string { return Hex(12) }

// Hex returns n random bytes from crypto/rand as 2n hex characters.
// crypto/rand.Read does not fail (it crashes the program if the system's
// generator is unavailable), so there is no error to handle.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
