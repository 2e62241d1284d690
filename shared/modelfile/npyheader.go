package modelfile

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// plainDescrRe matches dtype strings numpy stores as raw bytes: numbers,
// bools, fixed strings, raw void, dates. Object dtypes ('|O', 'object'),
// structured and subarray dtypes never match.
var plainDescrRe = regexp.MustCompile(`^[<>|=]?(?:[?bBhHiIlLqQpPefdgFDG]|[biufcSUVa][0-9]+|[SUa]|[mM]8(?:\[[0-9]*[a-zA-Z]+\])?)$`)

// plainDescr reports whether the .npy header (a Python dict literal that
// numpy reads with ast.literal_eval) gives 'descr' as a plain dtype
// string, so numpy would not unpickle the data. Any other form, a header
// it cannot follow included, answers false and the data is scanned.
func plainDescr(header string) bool {
	toks, ok := pyTokens(header)
	if !ok || len(toks) < 2 || toks[0].s != "{" || toks[0].str {
		return false
	}
	descr, found := "", false
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.str {
			switch t.s {
			case "{", "(", "[":
				depth++
			case "}", ")", "]":
				depth--
			}
			continue
		}
		// A key at depth 1: adjacent string literals, then ':'.
		key, j := concat(toks, i)
		if depth != 1 || j >= len(toks) || toks[j].str || toks[j].s != ":" {
			i = j - 1
			continue
		}
		if key == "descr" {
			val, k := concat(toks, j+1)
			if k == j+1 || k >= len(toks) || toks[k].str || (toks[k].s != "," && toks[k].s != "}") {
				return false // not a single string: structured or odd
			}
			descr, found = val, true // literal_eval keeps the last duplicate
		}
		i = j
	}
	return found && plainDescrRe.MatchString(descr)
}

// concat joins the adjacent string literals starting at toks[i] (Python
// concatenates them) and returns the index after them.
func concat(toks []pyToken, i int) (string, int) {
	var b strings.Builder
	for ; i < len(toks) && toks[i].str; i++ {
		b.WriteString(toks[i].s)
	}
	return b.String(), i
}

type pyToken struct {
	s   string // decoded value of a string literal, else the token text
	str bool
}

// pyTokens splits a Python literal into string literals (decoded) and
// other tokens. ok is false for anything it cannot decode exactly.
func pyTokens(s string) ([]pyToken, bool) {
	var out []pyToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case strings.ContainsRune("{}()[],:", rune(c)):
			out = append(out, pyToken{s: string(c)})
			i++
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == '+' || s[j] == '-') {
				j++
			}
			prefix := strings.ToLower(s[i:j])
			if j < len(s) && (s[j] == '\'' || s[j] == '"') && (prefix == "" || prefix == "r" || prefix == "u" || prefix == "b" || prefix == "br" || prefix == "rb") {
				v, n, ok := pyString(s[j:], strings.Contains(prefix, "r"))
				if !ok {
					return nil, false
				}
				out = append(out, pyToken{s: v, str: true})
				i = j + n
				continue
			}
			if j == i {
				return nil, false
			}
			out = append(out, pyToken{s: s[i:j]})
			i = j
		}
	}
	return out, true
}

// pyString decodes the string literal at the start of s (quote included),
// returning its value and length in s.
func pyString(s string, raw bool) (string, int, bool) {
	q := s[:1]
	if strings.HasPrefix(s, q+q+q) {
		q = q + q + q
	}
	var b strings.Builder
	for i := len(q); i < len(s); {
		if strings.HasPrefix(s[i:], q) {
			return b.String(), i + len(q), true
		}
		c := s[i]
		if c == '\n' && len(q) == 1 {
			return "", 0, false
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", 0, false
		}
		if raw {
			b.WriteString(s[i : i+2])
			i += 2
			continue
		}
		e := s[i+1]
		i += 2
		switch e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(s) {
				return "", 0, false
			}
			v, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil || v > utf8.MaxRune {
				return "", 0, false
			}
			b.WriteRune(rune(v))
			i += n
		default:
			if e < '0' || e > '7' {
				return "", 0, false // \N{...} and unknown escapes: not followed
			}
			v, n := int(e-'0'), 1
			for n < 3 && i < len(s) && s[i] >= '0' && s[i] <= '7' {
				v = v*8 + int(s[i]-'0')
				i++
				n++
			}
			b.WriteRune(rune(v))
		}
	}
	return "", 0, false
}
