package gitobject

import "fmt"

// SplitSignature returns the signed payload and the signature of a raw
// commit or tag without interpreting the rest of the object beyond what the
// split needs. sig is nil for an unsigned object. For commits the format is
// detected from the tree id, as in ParseCommit.
func SplitSignature(kind Kind, raw []byte) (payload, sig []byte, err error) {
	switch kind {
	case KindCommit:
		c, err := ParseCommit(raw)
		if err != nil {
			return nil, nil, err
		}
		return c.Payload, c.Signature, nil
	case KindTag:
		t, err := ParseTag(raw)
		if err != nil {
			return nil, nil, err
		}
		return t.Payload, t.Signature, nil
	}
	return nil, nil, &ParseError{Err: ErrWrongKind, Detail: fmt.Sprintf("kind %q", truncate(string(kind)))}
}
