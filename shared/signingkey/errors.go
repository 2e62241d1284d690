package signingkey

import "errors"

// Sentinel errors a *KeyError unwraps to; all mean a bad upload (HTTP 400).
var (
	ErrPrivateKey   = errors.New("private key material")
	ErrNotPublicKey = errors.New("not an armored public key")
	ErrMalformed    = errors.New("malformed key")
	ErrMultipleKeys = errors.New("more than one key")
	ErrWeakKey      = errors.New("key too weak")
	ErrUnsupported  = errors.New("unsupported key algorithm")
	ErrTooLarge     = errors.New("key too large")
)

// KeyError says why a key upload was refused.
type KeyError struct {
	Err    error  // one of the Err* sentinels
	Detail string // specifics, safe to show to the uploader
}

// Error returns a message suitable for a 400 response body.
func (e *KeyError) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

// Unwrap returns the sentinel error.
func (e *KeyError) Unwrap() error { return e.Err }

func keyErr(err error, detail string) *KeyError { return &KeyError{Err: err, Detail: detail} }
