package pickle

import (
	"strconv"
	"unicode/utf8"
)

// unquoteString decodes a protocol 0 STRING argument the way Python does:
// it must be quoted with matching quotes, and its body is decoded with
// codecs.escape_decode. ok is false for arguments Python rejects.
func unquoteString(b []byte) (s string, ok bool) {
	if len(b) < 2 || b[0] != b[len(b)-1] || (b[0] != '\'' && b[0] != '"') {
		return "", false
	}
	return escapeDecode(b[1 : len(b)-1]), true
}

// escapeDecode implements the subset of codecs.escape_decode that can change
// a name: backslash escapes for quotes, control characters, octal and hex.
func escapeDecode(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 == len(b) {
			out = append(out, c)
			continue
		}
		i++
		switch e := b[i]; e {
		case '\n':
		case '\\', '\'', '"':
			out = append(out, e)
		case 'a':
			out = append(out, 7)
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, 11)
		case 'x':
			if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
				v, _ := strconv.ParseUint(string(b[i+1:i+3]), 16, 8)
				out = append(out, byte(v))
				i += 2
			} else {
				out = append(out, '\\', 'x')
			}
		default:
			if e >= '0' && e <= '7' {
				v, n := 0, 0
				for n < 3 && i+n < len(b) && b[i+n] >= '0' && b[i+n] <= '7' {
					v = v*8 + int(b[i+n]-'0')
					n++
				}
				out = append(out, byte(v))
				i += n - 1
			} else {
				out = append(out, '\\', e)
			}
		}
	}
	return string(out)
}

// rawUnicodeDecode implements Python's raw-unicode-escape codec: \uXXXX and
// \UXXXXXXXX escapes, every other byte is a Latin-1 code point.
func rawUnicodeDecode(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) && (b[i+1] == 'u' || b[i+1] == 'U') {
			n := 4
			if b[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(b) {
				if v, err := strconv.ParseUint(string(b[i+2:i+2+n]), 16, 32); err == nil {
					out = utf8.AppendRune(out, rune(v))
					i += 1 + n
					continue
				}
			}
		}
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
