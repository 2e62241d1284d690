package files

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckPath is the rule for a path the commit API writes or deletes
// (invariant 5 in docs/invariants.md: acknowledged means stored). It
// refuses what git's verify_path refuses with core.protectHFS and
// core.protectNTFS on (so git would drop or refuse the entry, or a clone
// would), and what Windows and macOS clients cannot check out:
//
//   - empty, absolute, "." or ".." segments, empty segments, a trailing
//     '/', control bytes, a backslash, invalid UTF-8;
//   - a segment that is .git in any case, with trailing dots or spaces
//     (".git. ", NTFS), its 8.3 short name (git~1), or with characters
//     HFS+ ignores (zero-width joiners, direction marks, BOM) inside;
//   - the same variants of .gitmodules (gitmod~1), which git only accepts
//     as a regular file;
//   - ':' anywhere (drive letters "C:", NTFS streams "::$DATA"), a segment
//     ending in a dot or a space (Windows strips them), and Windows'
//     reserved device names (con, prn, aux, nul, com1-9, lpt1-9, conin$,
//     conout$, with or without an extension).
//
// The answer says why, for the 400.
func CheckPath(p string) error {
	if p == "" {
		return fmt.Errorf("the path is empty")
	}
	if len(p) > MaxPathLen {
		return fmt.Errorf("the path is longer than %d bytes", MaxPathLen)
	}
	if !utf8.ValidString(p) {
		return fmt.Errorf("the path is not valid UTF-8")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("the path holds a control character")
		case c == '\\':
			return fmt.Errorf("the path holds a backslash (a folder separator on Windows): use '/'")
		case c == ':':
			return fmt.Errorf("the path holds ':' (a drive letter or an NTFS stream on Windows)")
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if err := checkSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

func checkSegment(seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("the path has an empty segment (a leading, trailing or doubled '/')")
	case seg == "." || seg == "..":
		return fmt.Errorf("the path has a %q segment", seg)
	case isDotGit(seg, "git", "git~1"):
		return fmt.Errorf("%q names git's own folder (.git, in any case or spelling git or Windows or macOS reads as it)", seg)
	case isDotGit(seg, "gitmodules", "gitmod~1"):
		if seg != ".gitmodules" {
			return fmt.Errorf("%q is read as .gitmodules by Windows or macOS: name it exactly .gitmodules", seg)
		}
	case strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " "):
		return fmt.Errorf("the path segment %q ends in a dot or a space, which Windows drops", seg)
	case reservedDevice(seg):
		return fmt.Errorf("the path segment %q is a reserved device name on Windows", seg)
	}
	return nil
}

// hfsIgnorable are the code points HFS+ ignores when it compares names
// (git's is_hfs_dotgit list).
func hfsIgnorable(r rune) bool {
	return r >= 0x200c && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x206a && r <= 0x206f || r == 0xfeff
}

// isDotGit reports whether seg is read as ".<name>" by git, NTFS or HFS+:
// in any case, with HFS+-ignored characters anywhere, with trailing dots
// and spaces, or as the 8.3 short name short (git~1, gitmod~1; any ~N
// for the longer name, as git's is_ntfs_dot_generic accepts).
func isDotGit(seg, name, short string) bool {
	var b strings.Builder
	for _, r := range seg {
		if !hfsIgnorable(r) {
			b.WriteRune(r)
		}
	}
	s := strings.ToLower(strings.TrimRight(b.String(), ". "))
	if s == "."+name {
		return true
	}
	if s == short {
		return true
	}
	// gitmod~N for N in 1..9: NTFS may hand out later short names.
	if base, n, ok := strings.Cut(short, "~"); ok && n == "1" && strings.HasPrefix(s, base+"~") {
		d := s[len(base)+1:]
		if len(d) == 1 && d[0] >= '1' && d[0] <= '9' {
			return true
		}
	}
	return false
}

// reservedDevice reports whether seg is a Windows device name, with or
// without an extension (nul, NUL.txt, com1.bin, conout$).
func reservedDevice(seg string) bool {
	base, _, _ := strings.Cut(seg, ".")
	base = strings.ToLower(strings.TrimRight(base, " "))
	switch base {
	case "con", "prn", "aux", "nul", "conin$", "conout$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "com") || strings.HasPrefix(base, "lpt")) && base[3] >= '0' && base[3] <= '9' {
		return true
	}
	return false
}

// CheckGitmodules refuses a .gitmodules whose submodules point outside
// the repository's tree or could be read as a command-line option (what
// git fsck's gitmodulesPath/gitmodulesUrl checks and the submodule
// advisories were about): a path that is absolute, has a "." or ".."
// segment, begins with '-' or fails CheckPath; a url that begins with
// '-', is a local file (file:, an absolute path), a relative path that
// climbs out (../), or holds a control character.
func CheckGitmodules(content []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch k {
		case "path":
			if v == "" || strings.HasPrefix(v, "-") || strings.HasPrefix(v, "/") {
				return fmt.Errorf(".gitmodules line %d: submodule path %q points outside the repository", n, v)
			}
			if err := CheckPath(strings.TrimSuffix(v, "/")); err != nil {
				return fmt.Errorf(".gitmodules line %d: submodule path %q: %v", n, v, err)
			}
		case "url":
			lv := strings.ToLower(v)
			if v == "" || strings.HasPrefix(v, "-") || strings.HasPrefix(v, "/") || strings.HasPrefix(lv, "file:") ||
				strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") || strings.ContainsAny(v, "\n\r\x00") || strings.Contains(v, "\\") {
				return fmt.Errorf(".gitmodules line %d: submodule url %q points outside the hub (a local path or an option)", n, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf(".gitmodules is not readable: %v", err)
	}
	return nil
}
