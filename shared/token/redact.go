package token

import "strings"

// Redact returns s with every token-shaped substring masked: a token prefix
// (hf_, hfs_, api_org_) followed by at least BodyLen ASCII letters becomes
// the prefix, "..." and the HintLen letters that Hint would show. Runs of
// letters longer than BodyLen are masked whole. Checksums are not checked:
// a mistyped or fake token is masked too, since a log cannot tell. Strings
// with nothing to mask are returned as they are, without allocating.
//
// Tokens can overlap: "api_org_" + 32 letters + "hf_" + 34 letters holds an
// org-token-shaped run ending in "hf" and a user token starting there. Redact
// therefore repeats until nothing is left to mask; each pass that masks
// something shortens the string, so it ends.
//
// Redact is a last line of defence for log lines and error text; it does not
// decode anything (URL-encoded or base64 basic-auth credentials pass through).
func Redact(s string) string {
	for {
		out := redactOnce(s)
		if out == s {
			return s
		}
		s = out
	}
}

// redactOnce masks the token-shaped substrings found scanning s once, left
// to right, without overlaps.
func redactOnce(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		p, n := tokenAt(s, i)
		if n == 0 {
			i++
			continue
		}
		if b.Cap() == 0 {
			b.Grow(len(s))
		}
		end := i + len(p) + BodyLen
		b.WriteString(s[last:i])
		b.WriteString(p)
		b.WriteString("...")
		b.WriteString(s[end-HintLen : end])
		i += n
		last = i
	}
	if b.Cap() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// tokenAt reports the prefix of a token-shaped substring starting at s[i] and
// the length of that substring (prefix and whole letter run), or "", 0.
func tokenAt(s string, i int) (string, int) {
	var p string
	switch s[i] {
	case 'h':
		switch {
		case hasPrefix(s[i:], PrefixUser):
			p = PrefixUser
		case hasPrefix(s[i:], PrefixSession):
			p = PrefixSession
		}
	case 'a':
		if hasPrefix(s[i:], PrefixOrg) {
			p = PrefixOrg
		}
	}
	if p == "" {
		return "", 0
	}
	j := i + len(p)
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	if j-i-len(p) < BodyLen {
		return "", 0
	}
	return p, j - i
}
