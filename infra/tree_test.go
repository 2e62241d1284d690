package infra

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoBuildOutputsTracked: nothing built is committed. A tracked file
// fails when it is an executable binary (ELF, Mach-O, PE, or any file with
// a NUL byte in its first 8 KiB and the executable bit) or larger than
// 1 MiB, except screenshots under docs/screenshots/.
func TestNoBuildOutputsTracked(t *testing.T) {
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "-s").Output()
	if err != nil {
		t.Skipf("not a git checkout (git ls-files: %v): nothing to check", err)
	}
	for _, rec := range strings.Split(string(out), "\x00") {
		if rec == "" {
			continue
		}
		// "<mode> <object> <stage>\t<path>"
		tab := strings.IndexByte(rec, '\t')
		mode, name := rec[:6], rec[tab+1:]
		if mode == "120000" || mode == "160000" { // links, submodules
			continue
		}
		full := filepath.Join("..", name)
		st, err := os.Stat(full)
		if err != nil {
			continue // deleted in the work tree: git status shows it
		}
		if st.Size() > 1<<20 && !strings.HasPrefix(name, "docs/screenshots/") {
			t.Errorf("%s is %d bytes: tracked files stay under 1 MiB (build outputs are ignored, data is generated at test time)", name, st.Size())
		}
		head := make([]byte, 8192)
		f, err := os.Open(full)
		if err != nil {
			continue
		}
		n, _ := f.Read(head)
		f.Close()
		head = head[:n]
		if isExecutableBinary(head, mode == "100755") {
			t.Errorf("%s is an executable binary: build outputs are not committed (add it to .gitignore)", name)
		}
	}
}

func isExecutableBinary(head []byte, execBit bool) bool {
	magics := [][]byte{{0x7f, 'E', 'L', 'F'}, {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
		{0xcf, 0xfa, 0xed, 0xfe}, {0xce, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe}, []byte("MZ")}
	for _, m := range magics {
		if bytes.HasPrefix(head, m) && (len(m) > 2 || execBit) {
			return true
		}
	}
	return execBit && bytes.IndexByte(head, 0) >= 0
}

func TestIsExecutableBinary(t *testing.T) {
	cases := []struct {
		head []byte
		exec bool
		want bool
	}{
		{[]byte("\x7fELF\x02\x01\x01"), false, true},
		{[]byte("\xcf\xfa\xed\xfe"), false, true},
		{[]byte("#!/bin/sh\necho hi\n"), true, false},
		{[]byte("MZ\x90\x00"), true, true},
		{[]byte("MZ is a word"), false, false},
		{[]byte("ab\x00cd"), true, true},
		{[]byte("png\x00data"), false, false},
	}
	for _, c := range cases {
		if got := isExecutableBinary(c.head, c.exec); got != c.want {
			t.Errorf("isExecutableBinary(%q, %v) = %v, want %v", c.head, c.exec, got, c.want)
		}
	}
}
