package gitobject

import "bytes"

// Tag is a parsed annotated tag object.
type Tag struct {
	Object  string    // id of the tagged object
	Type    string    // type of the tagged object: commit, tree, blob, tag
	Name    string    // the tag header: the tag's name
	Tagger  *Identity // nil for the rare tags without a tagger
	Headers []Header
	Message string // message without the signature
	Format  Format // detected from the object id length

	// Signature is the trailing signature block, nil when unsigned.
	Signature []byte
	// Payload is the raw object up to the signature.
	Payload []byte
	// Raw is the input, not copied.
	Raw []byte
}

// ID returns the tag's object id in its format.
func (t *Tag) ID() string { return ObjectID(KindTag, t.Raw, t.Format) }

// ParseTag parses a raw annotated tag object with DefaultLimits.
func ParseTag(raw []byte) (*Tag, error) { return ParseTagLimits(raw, DefaultLimits) }

// ParseTagLimits parses a raw annotated tag object within lim.
func ParseTagLimits(raw []byte, lim Limits) (*Tag, error) {
	hb, err := scanHeaders(raw, lim)
	if err != nil {
		return nil, err
	}
	t := &Tag{Raw: raw, Headers: hb.headers}
	seen := map[string]bool{}
	for i, h := range hb.headers {
		line := hb.lines[i]
		switch h.Name {
		case "object", "type", "tag", "tagger":
			if seen[h.Name] {
				return nil, parseErr(ErrDuplicateHeader, line, "second %s header", h.Name)
			}
			seen[h.Name] = true
		}
		switch h.Name {
		case "object":
			f, err := formatOf(h.Value)
			if err != nil {
				return nil, parseErr(ErrBadObjectID, line, "object %v", err)
			}
			t.Object, t.Format = h.Value, f
		case "type":
			t.Type = h.Value
		case "tag":
			t.Name = h.Value
		case "tagger":
			id, err := ParseIdentity(h.Value)
			if err != nil {
				pe := err.(*ParseError)
				pe.Line, pe.Detail = line, "tagger: "+pe.Detail
				return nil, pe
			}
			t.Tagger = &id
		}
	}
	for _, name := range []string{"object", "type", "tag"} {
		if !seen[name] {
			return nil, parseErr(ErrMissingHeader, 0, "no %s header (is this a tag?)", name)
		}
	}
	t.Payload, t.Signature = splitTag(raw, hb.body)
	t.Message = string(t.Payload[hb.body:])
	return t, nil
}

// signatureStarts are the lines that open a signature appended to a tag
// message, as git's gpg-interface knows them.
var signatureStarts = [][]byte{
	[]byte("-----BEGIN PGP SIGNATURE-----"),
	[]byte("-----BEGIN PGP MESSAGE-----"),
	[]byte("-----BEGIN SSH SIGNATURE-----"),
	[]byte("-----BEGIN SIGNED MESSAGE-----"),
}

// splitTag finds the last line of the message that starts a signature, as
// git's parse_signed_buffer does; the payload is everything before it.
func splitTag(raw []byte, body int) (payload, sig []byte) {
	match := len(raw)
	for pos := body; pos < len(raw); {
		for _, s := range signatureStarts {
			if bytes.HasPrefix(raw[pos:], s) {
				match = pos
				break
			}
		}
		nl := bytes.IndexByte(raw[pos:], '\n')
		if nl < 0 {
			break
		}
		pos += nl + 1
	}
	if match == len(raw) {
		return raw, nil
	}
	return raw[:match], raw[match:]
}
