package gitobject

// Signature header names in commits.
const (
	HeaderGPGSig       = "gpgsig"
	HeaderGPGSigSHA256 = "gpgsig-sha256"
)

// Commit is a parsed commit object.
type Commit struct {
	Tree      string
	Parents   []string
	Author    Identity
	Committer Identity
	Encoding  string   // value of the encoding header, "" when absent
	MergeTags []string // embedded tag objects of mergetag headers
	Headers   []Header // every header in order, signatures included
	Message   string   // bytes after the blank line, as written
	Format    Format   // detected from the tree id length

	// Signature is the signature for Format (gpgsig for SHA-1,
	// gpgsig-sha256 for SHA-256), nil when the commit is unsigned.
	Signature []byte
	// Payload is the raw object without the signature header blocks.
	Payload []byte
	// Raw is the input, not copied.
	Raw []byte
}

// ID returns the commit's object id in its format.
func (c *Commit) ID() string { return ObjectID(KindCommit, c.Raw, c.Format) }

// ParseCommit parses a raw commit object with DefaultLimits.
func ParseCommit(raw []byte) (*Commit, error) { return ParseCommitLimits(raw, DefaultLimits) }

// ParseCommitLimits parses a raw commit object within lim.
func ParseCommitLimits(raw []byte, lim Limits) (*Commit, error) {
	hb, err := scanHeaders(raw, lim)
	if err != nil {
		return nil, err
	}
	c := &Commit{Raw: raw, Headers: hb.headers, Message: string(raw[hb.body:])}
	var haveTree, haveAuthor, haveCommitter, haveEncoding bool
	for i, h := range hb.headers {
		line := hb.lines[i]
		switch h.Name {
		case "tree":
			if haveTree {
				return nil, parseErr(ErrDuplicateHeader, line, "second tree header")
			}
			if i != 0 {
				return nil, parseErr(ErrBadHeader, line, "tree must be the first header")
			}
			f, err := formatOf(h.Value)
			if err != nil {
				return nil, parseErr(ErrBadObjectID, line, "tree %v", err)
			}
			haveTree, c.Tree, c.Format = true, h.Value, f
		case "parent":
			f, err := formatOf(h.Value)
			if err != nil {
				return nil, parseErr(ErrBadObjectID, line, "parent %v", err)
			}
			if haveTree && f != c.Format {
				return nil, parseErr(ErrBadObjectID, line, "parent is %s but tree is %s", f, c.Format)
			}
			c.Parents = append(c.Parents, h.Value)
		case "author", "committer":
			id, err := ParseIdentity(h.Value)
			if err != nil {
				pe := err.(*ParseError)
				pe.Line, pe.Detail = line, h.Name+": "+pe.Detail
				return nil, pe
			}
			if h.Name == "author" {
				if haveAuthor {
					return nil, parseErr(ErrDuplicateHeader, line, "second author header")
				}
				haveAuthor, c.Author = true, id
			} else {
				if haveCommitter {
					return nil, parseErr(ErrDuplicateHeader, line, "second committer header")
				}
				haveCommitter, c.Committer = true, id
			}
		case "encoding":
			if haveEncoding {
				return nil, parseErr(ErrDuplicateHeader, line, "second encoding header")
			}
			haveEncoding, c.Encoding = true, h.Value
		case "mergetag":
			c.MergeTags = append(c.MergeTags, h.Value)
		}
	}
	switch {
	case !haveTree:
		return nil, parseErr(ErrMissingHeader, 0, "no tree header (is this a commit?)")
	case !haveAuthor:
		return nil, parseErr(ErrMissingHeader, 0, "no author header")
	case !haveCommitter:
		return nil, parseErr(ErrMissingHeader, 0, "no committer header")
	}
	c.Payload, c.Signature, err = splitCommit(raw, hb, c.Format)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// splitCommit removes both signature header blocks from raw and returns the
// signature for format f. Duplicate headers of one kind are refused: git
// would concatenate them, which no signer produces.
func splitCommit(raw []byte, hb headerBlock, f Format) (payload, sig []byte, err error) {
	want := HeaderGPGSig
	if f == SHA256 {
		want = HeaderGPGSigSHA256
	}
	seen := map[string]bool{}
	payload = make([]byte, 0, len(raw))
	pos := 0
	for i, h := range hb.headers {
		if h.Name != HeaderGPGSig && h.Name != HeaderGPGSigSHA256 {
			continue
		}
		if seen[h.Name] {
			return nil, nil, parseErr(ErrDuplicateSignature, hb.lines[i], "second %s header", h.Name)
		}
		seen[h.Name] = true
		span := hb.spans[i]
		payload = append(payload, raw[pos:span[0]]...)
		pos = span[1]
		if h.Name == want {
			// Each continuation line lost its leading space and its
			// newline; git's signature keeps the newline of every line.
			sig = []byte(h.Value + "\n")
		}
	}
	payload = append(payload, raw[pos:]...)
	return payload, sig, nil
}
