package token

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// Secret is a freshly generated secret. It prints, logs and formats as its
// Hint; the plaintext comes out only through Reveal, to be shown to its owner
// once, and it refuses to be marshalled to JSON so it cannot slip into a
// response or a log record by accident.
type Secret struct {
	kind  Kind
	value string
}

// Kind returns the secret's kind.
func (s Secret) Kind() Kind { return s.kind }

// Reveal returns the plaintext secret. Show it to its owner once; store only
// its Hash.
func (s Secret) Reveal() string { return s.value }

// Hash returns Hash of the plaintext, the secret's storage key.
func (s Secret) Hash() string { return Hash(s.value) }

// Hint returns the masked display form of the secret (see Hint).
func (s Secret) Hint() string { return Hint(s.value) }

// String returns the secret's Hint, never the plaintext.
func (s Secret) String() string { return s.Hint() }

// GoString returns a masked form for %#v.
func (s Secret) GoString() string { return "token.Secret(" + s.Hint() + ")" }

// Format writes the Hint whatever the verb, so no fmt verb prints the
// plaintext.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.Hint()) }

// LogValue makes slog record the Hint.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Hint()) }

var errMarshalSecret = errors.New("token: a Secret is not marshalled; use Reveal explicitly")

// MarshalJSON always fails: put Reveal() in a response on purpose instead.
func (s Secret) MarshalJSON() ([]byte, error) { return nil, errMarshalSecret }

// MarshalText always fails, for the same reason as MarshalJSON.
func (s Secret) MarshalText() ([]byte, error) { return nil, errMarshalSecret }
