package modelformat

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// templateHit is one template-injection pattern found in a Jinja block.
type templateHit struct {
	why  string
	expr string // the whole {{ ... }} or {% ... %} block
}

// Names a chat template has no use for and server-side template injection
// reaches for: Jinja's globals that lead to Python (lipsum, cycler,
// joiner, self), framework globals, modules.
var (
	sstiGlobals = map[string]bool{
		"lipsum": true, "cycler": true, "joiner": true, "self": true, "config": true, "request": true,
		"url_for": true, "get_flashed_messages": true, "os": true, "subprocess": true, "importlib": true,
		"builtins": true, "sys": true,
	}
	sstiAttrs = map[string]bool{
		"popen": true, "system": true, "spawn": true, "exec": true, "eval": true, "import_module": true,
		"load_module": true, "globals": true, "mro": true, "subclasses": true, "func_globals": true,
		"f_globals": true, "gi_frame": true, "gi_code": true, "f_back": true, "getattr": true, "check_output": true,
	}
)

// checkTemplate lexes a Jinja template as Jinja's lexer does (blocks,
// comments, raw sections, string literals with Python escapes) and
// reports each block that reaches Python objects: an identifier or
// attribute starting with "__" (or "_" after a dot), a string literal
// that spells a dunder name (after escapes, or concatenated with ~ or +),
// the attr filter, character-code formatting, and the globals and
// attributes SSTI payloads use. It is a pattern list, not a proof: the
// renderer's sandbox is the real barrier; these patterns have no use in
// a chat template.
func checkTemplate(tpl string) []templateHit {
	var hits []templateHit
	i := 0
	for i < len(tpl) && len(hits) < 20 {
		j := strings.IndexByte(tpl[i:], '{')
		if j < 0 || i+j+1 >= len(tpl) {
			break
		}
		i += j
		switch tpl[i+1] {
		case '#':
			k := strings.Index(tpl[i+2:], "#}")
			if k < 0 {
				return hits
			}
			i += 2 + k + 2
			continue
		case '{', '%':
		default:
			i++
			continue
		}
		closer := "}}"
		if tpl[i+1] == '%' {
			closer = "%}"
		}
		end, toks := lexBlock(tpl, i+2, closer)
		block := tpl[i:end]
		if tpl[i+1] == '%' && len(toks) > 0 && toks[0].kind == tokName && toks[0].val == "raw" {
			k := strings.Index(tpl[end:], "endraw")
			if k < 0 {
				return hits
			}
			i = end + k
			continue
		}
		if why := judgeTokens(toks); why != "" {
			hits = append(hits, templateHit{why: why, expr: block})
		}
		i = end
	}
	return hits
}

type tokKind int

const (
	tokName tokKind = iota
	tokString
	tokOp
	tokNumber
)

type token struct {
	kind tokKind
	val  string // a string literal's value after escapes
	raw  string
}

// lexBlock tokenises from start up to the closer; it returns the offset
// after the closer (or the end of the template) and the tokens.
func lexBlock(t string, start int, closer string) (int, []token) {
	var toks []token
	i := start
	for i < len(t) {
		c := t[i]
		switch {
		case strings.HasPrefix(t[i:], closer) || (c == '-' || c == '+') && strings.HasPrefix(t[i+1:], closer):
			if c == '-' || c == '+' {
				i++
			}
			return i + len(closer), toks
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(t) && t[j] != c {
				if t[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(t) {
				return len(t), toks
			}
			raw := t[i+1 : j]
			toks = append(toks, token{kind: tokString, val: unescapePy(raw), raw: raw})
			i = j + 1
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i
			for j < len(t) {
				r, n := utf8.DecodeRuneInString(t[j:])
				if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80) {
					break
				}
				j += n
			}
			toks = append(toks, token{kind: tokName, val: t[i:j], raw: t[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(t) && (t[j] >= '0' && t[j] <= '9' || t[j] == '.' || t[j] == '_') {
				j++
			}
			toks = append(toks, token{kind: tokNumber, val: t[i:j]})
			i = j
		default:
			toks = append(toks, token{kind: tokOp, val: string(c)})
			i++
		}
	}
	return len(t), toks
}

func judgeTokens(toks []token) string {
	for k, tk := range toks {
		prevDot := k > 0 && toks[k-1].kind == tokOp && toks[k-1].val == "."
		prevPipe := k > 0 && toks[k-1].kind == tokOp && toks[k-1].val == "|"
		switch tk.kind {
		case tokName:
			name := tk.val
			switch {
			case strings.HasPrefix(name, "__") || (prevDot && strings.HasPrefix(name, "_")):
				return "reaches the Python attribute " + name
			case prevPipe && name == "attr":
				return "uses the attr filter (attributes by computed name)"
			case !prevDot && sstiGlobals[name]:
				return "reaches the global " + name + ", a way out to Python"
			case prevDot && sstiAttrs[name]:
				return "reaches the attribute " + name
			}
		case tokString:
			if strings.Contains(tk.val, "__") {
				return "spells the Python attribute name " + strconv.Quote(tk.val)
			}
			if strings.Contains(tk.raw, `\N{`) || strings.Contains(tk.val, "%c") {
				return "builds names from character codes"
			}
			if k > 0 && toks[k-1].kind == tokOp && toks[k-1].val == "[" && strings.HasPrefix(tk.val, "_") {
				return "reaches the private attribute " + strconv.Quote(tk.val)
			}
			// Literals joined with ~ or +.
			joined := tk.val
			for m := k + 2; m < len(toks) && toks[m-1].kind == tokOp && (toks[m-1].val == "~" || toks[m-1].val == "+") && toks[m].kind == tokString; m += 2 {
				joined += toks[m].val
				if strings.Contains(joined, "__") {
					return "spells the Python attribute name " + strconv.Quote(joined) + " by concatenation"
				}
			}
		}
	}
	return ""
}

// unescapePy decodes Python's unicode-escape as Jinja applies it to a
// string literal (\\ \' \" \a \b \f \n \r \t \v, octal, \x, \u, \U,
// line continuation). \N{...} is left as is (reported by the caller).
func unescapePy(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch d := s[i]; d {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(d)
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
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[d]
			if i+1+n <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += n
					continue
				}
			}
			b.WriteByte('\\')
			b.WriteByte(d)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 32)
			b.WriteRune(rune(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(d)
		}
	}
	return b.String()
}
