package token

import (
	"bytes"
	"compress/gzip"
	"io"
)

// The decoding layer of the Finder (invariant 10, docs/invariants.md):
// besides the bytes as written, a Finder searches the forms a credential
// takes when a file carries it less plainly:
//
//   - split by line breaks or string syntax: the bytes with white space,
//     NULs, quotes, '+', ',' and backslash escapes of white space (\n,
//     \r, \t, \u000a, \u000d, \u0009, \u0020) removed, so "hf_abc\n…" in
//     a JSON string, a string continued over a line (backslash-newline),
//     "hf_abc" + "…" and "hf_abc" "…" concatenations and array pieces
//     rejoin;
//   - UTF-16 text, little- or big-endian: the same view drops the NULs of
//     ASCII characters;
//   - base64 (standard or URL alphabet, wrapped over lines or not): every
//     run of at least MinBase64Run base64 characters is decoded at each of
//     the four alignments, and what it decodes to is searched again;
//   - gzip members: each member found (magic 1f 8b 08) is decompressed, at
//     most MaxGzipOut bytes of it, and searched again.
//
// Decoded bytes are searched again (base64 of gzip, gzip of UTF-16, …) down
// to maxDepth levels, and the decoders produce at most maxDerived bytes per
// searched window, so hostile input costs a bounded multiple of its size.
// A credential is reported only when its checksum is right, so the
// aggressive rejoining does not invent findings (a false join needs a
// CRC-32 collision on top of a live token). A carrier that straddles two of
// the Finder's windows is searched whole when it is shorter than
// DeepOverlap.

// Limits of the decoding layer.
const (
	// DeepOverlap is how many bytes before each window the decoders search
	// again, so that a carrier across the window's start is whole.
	DeepOverlap = 64 << 10
	// MinBase64Run is the shortest run of base64 characters decoded (the
	// shortest token, "hf_" and 34 letters, is 52 characters of base64).
	MinBase64Run = 48
	// MaxGzipOut caps what is read out of one gzip member.
	MaxGzipOut = 1 << 20
	// MaxGzipMembers caps the members decompressed per window.
	MaxGzipMembers = 64
	maxDepth       = 2
	maxDerived     = 16 << 20
)

// deepHit is a credential found by the decoding layer at offset off of the
// searched bytes (for a decoded one, where its encoding starts, or the
// start of its gzip member).
type deepHit struct {
	tok  string
	kind Kind
	off  int
}

// deep is one search by the decoding layer, with its byte budget.
type deep struct {
	budget int
	hits   []deepHit
}

// findRaw reports every credential starting in data[:limit].
func findRaw(data []byte, limit int, emit func(off int, tok string, k Kind)) {
	for _, p := range findPrefixes {
		for i := 0; i < limit; {
			j := bytes.Index(data[i:], p)
			if j < 0 || i+j >= limit {
				break
			}
			start := i + j
			if tok, ok := tokenIn(data[start:]); ok {
				if k, err := Parse(tok); err == nil {
					emit(start, tok, k)
				}
			}
			i = start + 1
		}
	}
}

// search searches data (not as written: findRaw does that) and appends
// what it finds to d.hits with offsets in data; at is added to them.
func (d *deep) search(data []byte, depth int, at func(int) int) {
	if len(data) == 0 {
		return
	}
	if depth > 0 {
		// Decoded bytes: as written, then only the decoders whose sign
		// they bear (the full views cost too much on every decoded run).
		findRaw(data, len(data), func(off int, tok string, k Kind) { d.hits = append(d.hits, deepHit{tok, k, at(off)}) })
		if bytes.IndexByte(data, 0) >= 0 || bytes.IndexByte(data, '\\') >= 0 || bytes.IndexByte(data, '\n') >= 0 {
			joined, joinedAt := stripView(data, true), lazyMarks(data, true)
			findRaw(joined, len(joined), func(off int, tok string, k Kind) {
				d.hits = append(d.hits, deepHit{tok, k, at(joinedAt(off))})
			})
		}
		if depth < maxDepth {
			d.base64Runs(data, depth, at)
			d.gzipMembers(data, depth, at)
		}
		return
	}
	// The base64 view: white space, NULs and escapes removed.
	b64, b64at := stripView(data, false), lazyMarks(data, false)
	// The joined view: also quotes, '+', ',' and lone backslashes.
	joined, joinedAt := stripView(data, true), lazyMarks(data, true)
	if !bytes.Equal(joined, data) {
		findRaw(joined, len(joined), func(off int, tok string, k Kind) {
			d.hits = append(d.hits, deepHit{tok, k, at(joinedAt(off))})
		})
	}
	if depth >= maxDepth {
		return
	}
	d.base64Runs(b64, depth, func(i int) int { return at(b64at(i)) })
	d.gzipMembers(data, depth, at)
}

// stripView is strip's view alone: where its bytes came from is needed
// only for a finding (rare), so lazyMarks computes it then. Skipping the
// marks (one per dropped byte: millions in a window of text) is most of
// what a view costs.
func stripView(data []byte, join bool) []byte {
	out, _ := stripping(data, join, false)
	return out
}

// lazyMarks maps an offset of strip's view of data back to data, computing
// the marks once, on first use.
func lazyMarks(data []byte, join bool) func(int) int {
	var m offsets
	return func(o int) int {
		if m == nil {
			_, m = strip(data, join)
		}
		return m.at(o)
	}
}

// strip returns data without white space, NULs and backslash escapes of
// white space (and, when join, without quotes, '+', ',' and other
// backslashes), and where each byte kept came from in data.
func strip(data []byte, join bool) ([]byte, offsets) { return stripping(data, join, true) }

func stripping(data []byte, join, mark bool) ([]byte, offsets) {
	table := &dropB64
	if join {
		table = &dropJoin
	}
	out := make([]byte, 0, len(data))
	var marks offsets
	if mark {
		marks = offsets{{0, 0}}
	}
	for i := 0; i < len(data); {
		j := i
		for j < len(data) && !table[data[j]] {
			j++
		}
		out = append(out, data[i:j]...)
		if j == len(data) {
			break
		}
		// data[j] is dropped, or a backslash.
		next := j + 1
		if data[j] == '\\' {
			switch n := escapeLen(data[j:]); {
			case n > 0:
				next = j + n
			case j+1 < len(data) && data[j+1] == '/': // JSON's \/
			case !join:
				out = append(out, '\\')
			}
		}
		i = next
		if mark {
			marks = append(marks, [2]int32{int32(len(out)), int32(i)})
		}
	}
	return out, marks
}

// offsets maps a stripped view back to its source: each mark says that
// the view's byte m[0] (and those after it, up to the next mark) came
// from the source's byte m[1] (and on).
type offsets [][2]int32

func (m offsets) at(o int) int {
	lo, hi := 0, len(m)-1
	for lo < hi { // the last mark whose view index is <= o
		mid := (lo + hi + 1) / 2
		if int(m[mid][0]) <= o {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return int(m[lo][1]) + o - int(m[lo][0])
}

var dropB64, dropJoin = func() (b, j [256]bool) {
	for _, c := range []byte{' ', '\t', '\r', '\n', 0, '\\'} {
		b[c], j[c] = true, true
	}
	for _, c := range []byte{'"', '\'', '+', ','} {
		j[c] = true
	}
	return
}()

// escapeLen is the length of the escape of white space at the start of b
// (a backslash, then n, r, t, a line break, or u000a, u000d, u0009,
// u0020; NULs between the characters of UTF-16 skipped), or 0.
func escapeLen(b []byte) int {
	i := 1
	next := func() byte {
		for i < len(b) && b[i] == 0 {
			i++
		}
		if i >= len(b) {
			return 0
		}
		c := b[i]
		i++
		return c
	}
	switch next() {
	case 'n', 'r', 't', '\n', '\r':
		return i
	case 'u':
		var hex [4]byte
		for k := range hex {
			hex[k] = next()
		}
		switch string(hex[:]) {
		case "000a", "000A", "000d", "000D", "0009", "0020":
			return i
		}
	}
	return 0
}

func isBase64(c byte) bool { return b64val[c] != 0xff }

var b64val = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// decode64 decodes s (base64 characters only) as far as whole groups go,
// either alphabet.
func decode64(s []byte) []byte {
	out := make([]byte, 0, len(s)/4*3)
	for ; len(s) >= 4; s = s[4:] {
		v := uint32(b64val[s[0]])<<18 | uint32(b64val[s[1]])<<12 | uint32(b64val[s[2]])<<6 | uint32(b64val[s[3]])
		out = append(out, byte(v>>16), byte(v>>8), byte(v))
	}
	// A final group of 2 or 3 characters (padding dropped or cut).
	switch len(s) {
	case 2:
		out = append(out, b64val[s[0]]<<2|b64val[s[1]]>>4)
	case 3:
		v := uint32(b64val[s[0]])<<18 | uint32(b64val[s[1]])<<12 | uint32(b64val[s[2]])<<6
		out = append(out, byte(v>>16), byte(v>>8))
	}
	return out
}

// base64Runs decodes every long run of base64 characters in v at each
// alignment and searches what it decodes to.
func (d *deep) base64Runs(v []byte, depth int, at func(int) int) {
	for i := 0; i < len(v); {
		if !isBase64(v[i]) {
			i++
			continue
		}
		j := i
		for j < len(v) && isBase64(v[j]) {
			j++
		}
		if j-i >= MinBase64Run {
			for k := 0; k < 4 && d.budget > 0; k++ {
				dec := decode64(v[i+k : j])
				d.budget -= len(dec)
				first := i + k // decoded byte o comes from character first+o/3*4
				d.search(dec, depth+1, func(o int) int { return at(first + o/3*4) })
			}
		}
		i = j
	}
}

// gzipMembers decompresses each gzip member in data (at most MaxGzipOut
// bytes of each) and searches what it holds.
func (d *deep) gzipMembers(data []byte, depth int, at func(int) int) {
	magic := []byte{0x1f, 0x8b, 0x08}
	for i, n := 0, 0; n < MaxGzipMembers && d.budget > 0; n++ {
		j := bytes.Index(data[i:], magic)
		if j < 0 {
			return
		}
		start := i + j
		i = start + 1
		zr, err := gzip.NewReader(bytes.NewReader(data[start:]))
		if err != nil {
			continue
		}
		zr.Multistream(false)
		out, _ := io.ReadAll(io.LimitReader(zr, int64(min(MaxGzipOut, d.budget))))
		d.budget -= len(out)
		d.search(out, depth+1, func(int) int { return at(start) })
	}
}
