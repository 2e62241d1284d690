package gitobject

import "bytes"

// Header is one header field of a commit or tag. Value holds the text after
// the name and the space; continuation lines are joined with "\n" and lose
// their leading space, so a mergetag Value is the embedded tag object.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// headerBlock is the result of scanning the header section of an object.
type headerBlock struct {
	headers []Header
	spans   [][2]int // byte range [start, end) of each header, continuations included
	lines   []int    // 1-based line of each header
	body    int      // offset of the message; len(raw) when there is none
}

// scanHeaders splits raw into header fields and the message offset. It
// enforces lim and refuses NUL bytes, unterminated lines and lines that are
// neither headers nor continuations.
func scanHeaders(raw []byte, lim Limits) (headerBlock, error) {
	var hb headerBlock
	if len(raw) > lim.MaxObjectSize {
		return hb, parseErr(ErrTooLarge, 0, "%d bytes, limit %d", len(raw), lim.MaxObjectSize)
	}
	if len(raw) == 0 {
		return hb, parseErr(ErrTruncated, 0, "empty object")
	}
	pos, line := 0, 0
	for pos < len(raw) {
		line++
		nl := bytes.IndexByte(raw[pos:], '\n')
		if nl < 0 {
			return hb, parseErr(ErrTruncated, line, "header line %s has no terminating newline", excerpt(raw[pos:]))
		}
		text := raw[pos : pos+nl]
		next := pos + nl + 1
		if len(text) == 0 {
			hb.body = next
			return hb, nil
		}
		if len(text) > lim.MaxLineLength {
			return hb, parseErr(ErrLineTooLong, line, "%d bytes, limit %d", len(text), lim.MaxLineLength)
		}
		if bytes.IndexByte(text, 0) >= 0 {
			return hb, parseErr(ErrNUL, line, "header line %s", excerpt(text))
		}
		if text[0] == ' ' {
			if len(hb.headers) == 0 {
				return hb, parseErr(ErrBadHeader, line, "continuation line before any header")
			}
			i := len(hb.headers) - 1
			hb.headers[i].Value += "\n" + string(text[1:])
			hb.spans[i][1] = next
			pos = next
			continue
		}
		sp := bytes.IndexByte(text, ' ')
		if sp <= 0 {
			return hb, parseErr(ErrBadHeader, line, "%s is not a \"name value\" header (missing blank line before the message?)", excerpt(text))
		}
		if len(hb.headers) >= lim.MaxHeaders {
			return hb, parseErr(ErrTooManyHeaders, line, "limit %d", lim.MaxHeaders)
		}
		hb.headers = append(hb.headers, Header{Name: string(text[:sp]), Value: string(text[sp+1:])})
		hb.spans = append(hb.spans, [2]int{pos, next})
		hb.lines = append(hb.lines, line)
		pos = next
	}
	// Headers ended with a newline and there is no message: git accepts this.
	hb.body = len(raw)
	return hb, nil
}
