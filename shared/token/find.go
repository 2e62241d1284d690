package token

import "bytes"

// Found is one token found in a stream: its kind, the token, its byte
// offset and its 1-based line.
type Found struct {
	Kind   Kind
	Token  string
	Offset int64
	Line   int
}

// maxTokenLen is the longest token: the org prefix and the body.
const maxTokenLen = len(PrefixOrg) + BodyLen

// finderChunk is how many bytes a Finder gathers before it searches.
const finderChunk = 1 << 20

// findPrefixes are searched for; "hf" covers the user and session
// prefixes in one pass.
var findPrefixes = [][]byte{[]byte("hf"), []byte(PrefixOrg)}

// Finder finds tokens in bytes written to it, in any number of writes: a
// prefix followed by BodyLen letters whose checksum is right, so text that
// only looks like a token (a made-up or mistyped one) is never reported.
// It also searches the forms a file may carry a token in (deep.go: split
// across lines or strings, UTF-16, base64, gzip members); such a token is
// reported once, at the start of its carrier. Use one Finder per file;
// Close returns what it found, in order. The git push hook and the
// scanner (LFS objects) both search with it.
type Finder struct {
	pending []byte
	base    int64 // offset of pending[0]
	line    int   // line of pending[0], 1-based
	found   []Found
	// tail is the end of what was searched, searched again by the
	// decoders with what follows; it starts at tailBase, line tailLine.
	tail     []byte
	tailBase int64
	tailLine int
	seen     map[string]bool
}

// NewFinder returns an empty Finder.
func NewFinder() *Finder { return &Finder{line: 1, tailLine: 1} }

// Write implements io.Writer; it never fails.
func (f *Finder) Write(p []byte) (int, error) {
	n := len(p)
	// At most finderChunk at a time: the decoding layer works on windows
	// of about that size, whatever the writes.
	for len(p) > 0 {
		k := min(len(p), finderChunk)
		f.pending = append(f.pending, p[:k]...)
		p = p[k:]
		if len(f.pending) >= finderChunk {
			f.search(false)
		}
	}
	return n, nil
}

// Close searches what is left and returns every token found.
func (f *Finder) Close() []Found {
	f.search(true)
	return f.found
}

// search looks for tokens that start in pending; unless final, it keeps
// the last maxTokenLen-1 bytes, where a token may continue in the next
// write.
func (f *Finder) search(final bool) {
	data := f.pending
	limit := len(data)
	if !final {
		limit = len(data) - (maxTokenLen - 1)
		if limit <= 0 {
			return
		}
	}
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	var hits []Found
	findRaw(data, limit, func(start int, tok string, k Kind) {
		hits = append(hits, Found{Kind: k, Token: tok, Offset: f.base + int64(start)})
		f.seen[tok] = true
	})
	// Lines, in offset order.
	sortFound(hits)
	line, at := f.line, 0
	for i := range hits {
		rel := int(hits[i].Offset - f.base)
		line += bytes.Count(data[at:rel], []byte{'\n'})
		at = rel
		hits[i].Line = line
	}
	f.found = append(f.found, hits...)

	// The decoding layer, over the tail of what came before and all that
	// is pending (what is kept for the next write is searched again then).
	window := append(append(make([]byte, 0, len(f.tail)+len(data)), f.tail...), data...)
	d := deep{budget: maxDerived}
	d.search(window, 0, func(i int) int { return i })
	var more []Found
	for _, h := range d.hits {
		if f.seen[h.tok] {
			continue
		}
		f.seen[h.tok] = true
		more = append(more, Found{Kind: h.kind, Token: h.tok, Offset: f.tailBase + int64(h.off),
			Line: f.tailLine + bytes.Count(window[:h.off], []byte{'\n'})})
	}
	sortFound(more)
	f.found = append(f.found, more...)
	// The next tail: the last DeepOverlap bytes of what is searched now.
	end := len(f.tail) + limit
	from := max(0, end-DeepOverlap)
	f.tailLine += bytes.Count(window[:from], []byte{'\n'})
	f.tailBase += int64(from)
	f.tail = append(f.tail[:0], window[from:end]...)

	f.line += bytes.Count(data[:limit], []byte{'\n'})
	f.base += int64(limit)
	f.pending = append(f.pending[:0], data[limit:]...)
}

// tokenIn returns the token-shaped string at the start of b: a prefix
// and BodyLen letters.
func tokenIn(b []byte) (string, bool) {
	var n int
	switch {
	case bytes.HasPrefix(b, []byte(PrefixUser)):
		n = len(PrefixUser)
	case bytes.HasPrefix(b, []byte(PrefixSession)):
		n = len(PrefixSession)
	case bytes.HasPrefix(b, []byte(PrefixOrg)):
		n = len(PrefixOrg)
	default:
		return "", false
	}
	if len(b) < n+BodyLen {
		return "", false
	}
	for _, c := range b[n : n+BodyLen] {
		if !isLetter(c) {
			return "", false
		}
	}
	return string(b[:n+BodyLen]), true
}

func sortFound(h []Found) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Offset < h[j-1].Offset; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}
