package token

// parseError is the type of every error Parse and ParseCode return. The
// messages are fixed strings: they never contain the input, so a rejected
// secret cannot leak through an error message or a log line.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// Is makes every parse error match ErrMalformed.
func (e *parseError) Is(target error) bool { return target == ErrMalformed }

// Errors returned by Parse and ParseCode. errors.Is(err, ErrMalformed) holds
// for all of them; the others say what was wrong.
var (
	ErrMalformed = &parseError{"token: malformed"}
	ErrPrefix    = &parseError{"token: unknown prefix"}
	ErrLength    = &parseError{"token: wrong length"}
	ErrAlphabet  = &parseError{"token: invalid character"}
	ErrChecksum  = &parseError{"token: checksum mismatch (mistyped or not a token)"}
)

// Parse reports the kind of the token s (KindUser, KindOrg or KindSession)
// after checking its prefix, length, alphabet and checksum. It does no I/O
// and allocates nothing, so callers run it before any lookup. Email codes are
// checked with ParseCode.
func Parse(s string) (Kind, error) {
	k := kindByPrefix(s)
	if k == KindInvalid {
		return KindInvalid, ErrPrefix
	}
	if len(s) != k.Len() {
		return KindInvalid, ErrLength
	}
	if !isLetters(s[len(k.Prefix()):]) {
		return KindInvalid, ErrAlphabet
	}
	if !checksumOK(s) {
		return KindInvalid, ErrChecksum
	}
	return k, nil
}

// ParseCode checks that s has the shape of an email verification code:
// CodeLen ASCII digits.
func ParseCode(s string) error {
	if len(s) != CodeLen {
		return ErrLength
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrAlphabet
		}
	}
	return nil
}

// kindByPrefix returns the token kind whose prefix starts s, or KindInvalid.
func kindByPrefix(s string) Kind {
	switch {
	case hasPrefix(s, PrefixUser):
		return KindUser
	case hasPrefix(s, PrefixSession):
		return KindSession
	case hasPrefix(s, PrefixOrg):
		return KindOrg
	}
	return KindInvalid
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func isLetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}
