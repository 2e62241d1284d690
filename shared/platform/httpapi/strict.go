package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// checkKeys walks body token by token and refuses, at any depth, an object
// with the same key twice or with two keys that differ only in case.
// encoding/json matches keys to fields case-insensitively and keeps the last
// one it sees, so {"role":"read","ROLE":"write"} would decode as "write"
// while a reader that looks at "role" sees "read". body must be valid UTF-8.
func checkKeys(body []byte) error {
	type frame struct {
		obj     bool
		wantKey bool
		at      string            // the key or index being read, for messages
		seen    map[string]string // folded key -> key as sent
		index   int
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.at == "" {
				continue
			}
			if f.obj && b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.at)
		}
		return b.String()
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.obj {
			top.wantKey, top.at = true, ""
		} else {
			top.index++
			top.at = "[" + strconv.Itoa(top.index) + "]"
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return apperr.E(apperr.Invalid, "%s", describe(err))
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			top := stack[n-1]
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			folded := foldKey(key)
			if prev, dup := top.seen[folded]; dup {
				where := ""
				if p := path(); p != "" {
					where = fmt.Sprintf(" in %q", p)
				}
				if prev == key {
					return apperr.E(apperr.Invalid, "Duplicate key %q%s", key, where)
				}
				return apperr.E(apperr.Invalid, "Keys %q and %q%s differ only in case: send each key once, spelled as documented", prev, key, where)
			}
			top.seen[folded] = key
			top.wantKey, top.at = false, key
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, seen: map[string]string{}})
		case json.Delim('['):
			stack = append(stack, &frame{at: "[0]"})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// foldKey maps s to a form that is equal for two strings exactly when
// strings.EqualFold says they are equal (the folding encoding/json uses to
// match keys to fields): each rune becomes the smallest rune of its simple
// case-folding orbit, so "K", "k" and the Kelvin sign fold alike.
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// checkUTF8 refuses bodies that are not valid UTF-8: encoding/json would
// replace the bad bytes with U+FFFD and carry on, so two readers of the
// same body could disagree on a name.
func checkUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	off := 0
	for off < len(body) {
		r, n := utf8.DecodeRune(body[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return apperr.E(apperr.Invalid, "Request body is not valid UTF-8 (first bad byte at offset %d)", off)
}
