package token

// HintLen is the number of trailing token letters Hint shows. They are
// checksum letters, which are derived from the random part and reveal at most
// log2(52^4) ≈ 22.8 bits about it, leaving over 136 bits unknown.
const HintLen = 4

// Hint returns a masked form of a token for display and logs, like
// "hf_...AbCd": the prefix and the last HintLen letters. Anything that is not
// shaped like a token (including email codes) gives "***".
func Hint(s string) string {
	k := kindByPrefix(s)
	if k == KindInvalid || len(s) != k.Len() || !isLetters(s[len(k.Prefix()):]) {
		return "***"
	}
	return k.Prefix() + "..." + s[len(s)-HintLen:]
}
