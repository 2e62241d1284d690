package scan

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Blocklist is a set of SHA-256 hashes of files known to be malicious.
// The zero value blocks nothing.
type Blocklist struct{ set map[string]struct{} }

// Has reports whether sha (hex, any case) is blocklisted.
func (b Blocklist) Has(sha string) bool {
	_, ok := b.set[strings.ToLower(sha)]
	return ok
}

// Len returns the number of hashes.
func (b Blocklist) Len() int { return len(b.set) }

// ParseBlocklist reads hashes from r: one 64-digit hex SHA-256 per line or
// separated by commas or spaces; "#" starts a comment. Anything else is an
// error naming the line.
func ParseBlocklist(r io.Reader) (Blocklist, error) {
	b := Blocklist{set: map[string]struct{}{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			h := strings.ToLower(f)
			if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
				return Blocklist{}, fmt.Errorf("blocklist line %d: %q is not a SHA-256 in hex", n, f)
			}
			b.set[h] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return Blocklist{}, fmt.Errorf("read blocklist: %w", err)
	}
	return b, nil
}

// LoadBlocklist reads the blocklist from the environment: SCAN_BLOCKLIST
// (hashes separated by commas) and SCAN_BLOCKLIST_FILE (a file of hashes,
// one per line, "#" comments). Both may be set; both may be empty.
func LoadBlocklist(env map[string]string) (Blocklist, error) {
	b, err := ParseBlocklist(strings.NewReader(env["SCAN_BLOCKLIST"]))
	if err != nil {
		return Blocklist{}, fmt.Errorf("SCAN_BLOCKLIST: %w", err)
	}
	if path := env["SCAN_BLOCKLIST_FILE"]; path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Blocklist{}, fmt.Errorf("SCAN_BLOCKLIST_FILE: %w", err)
		}
		defer f.Close()
		fb, err := ParseBlocklist(f)
		if err != nil {
			return Blocklist{}, fmt.Errorf("SCAN_BLOCKLIST_FILE %s: %w", path, err)
		}
		for h := range fb.set {
			b.set[h] = struct{}{}
		}
	}
	return b, nil
}
