// Invariant 10 (docs/invariants.md): secrets are found wherever a push can
// carry them, here in the forms a file carries a token other than as
// written, through git push and through LFS.

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// carrierFiles returns one file per carrier, each holding a different
// token never as written.
func carrierFiles(t *testing.T, leak func() string, ext string) (files map[string][]byte, tokens map[string]string) {
	utf := func(s string, big bool) []byte {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			if big {
				b = append(b, byte(u>>8), byte(u))
			} else {
				b = append(b, byte(u), byte(u>>8))
			}
		}
		return b
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	forms := map[string]func(tok string) []byte{
		"json-split": func(tok string) []byte { return []byte(`{"note": "` + tok[:12] + `\n` + tok[12:] + `"}` + "\n") },
		"json-continued": func(tok string) []byte {
			return []byte(`{"parts": ["` + tok[:20] + `",` + "\n" + `  "` + tok[20:] + `"]}` + "\n")
		},
		"base64": func(tok string) []byte {
			return []byte("secret: " + base64.StdEncoding.EncodeToString([]byte(tok)) + "\n")
		},
		"utf16le":  func(tok string) []byte { return utf("\ufeffHF_TOKEN="+tok+"\r\n", false) },
		"utf16be":  func(tok string) []byte { return utf("\ufeffHF_TOKEN="+tok+"\r\n", true) },
		"gzip":     func(tok string) []byte { return append([]byte("log\n"), gz([]byte("token "+tok+"\n"))...) },
		"b64-gzip": func(tok string) []byte { return []byte(base64.StdEncoding.EncodeToString(gz([]byte(tok))) + "\n") },
	}
	files, tokens = map[string][]byte{}, map[string]string{}
	for name, f := range forms {
		tok := leak()
		path := "carriers/" + name + ext
		files[path], tokens[path] = f(tok), tok
		if bytes.Contains(files[path], []byte(tok)) {
			t.Fatalf("%s holds its token as written", path)
		}
	}
	return files, tokens
}

// TestInvariantSecretsInCarriersAreFound: tokens split inside JSON
// strings, in base64, UTF-16 LE and BE text, a gzip member and base64 of
// gzip are found in a git push (refused naming each file, every token
// revoked) and in LFS objects when the scanner scans them (every token
// revoked, the owner mailed).
func TestInvariantSecretsInCarriersAreFound(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	path := "/" + s.u.Name + "/" + name + ".git"
	r := s.g.NewRepo("w", "sha1")
	base := s.commitFile(t, r, "README.md", "hello\n", "first")
	if out, err := s.push(t, r, path, "main"); err != nil {
		t.Fatalf("clean push: %v\n%s", err, out)
	}
	leak := func() string { tok, _ := s.h.token(s.u, "read"); return tok }

	// git push: regular files.
	files, tokens := carrierFiles(t, leak, ".txt")
	for p, b := range files {
		s.commitFile(t, r, p, string(b), "add "+p)
	}
	out, err := s.push(t, r, path, "main")
	clean := out
	for _, tok := range tokens {
		clean = strings.ReplaceAll(clean, tok, "<leaked>")
	}
	if err == nil {
		t.Errorf("push of carriers accepted:\n%s", clean)
	}
	if !strings.Contains(out, "contains a valid credential") {
		t.Errorf("refusal does not name a credential:\n%s", clean)
	}
	for p, tok := range tokens {
		if !strings.Contains(out, p) {
			t.Errorf("git push: refusal does not name %s:\n%s", p, clean)
		}
		if st := s.whoamiStatus(tok); st != 401 {
			t.Errorf("git push: token in %s after the push: %d, want 401", p, st)
		}
	}
	if strings.Contains(clean, "<leaked>") {
		t.Errorf("the refusal repeats a token:\n%s", clean)
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != base {
		t.Errorf("main moved to %s, want %s", got, base)
	}

	// LFS: the same carriers as LFS objects (git-lfs over the gateway).
	stk := needStack(t)
	wtok, _ := s.h.token(s.u, "write")
	lfsRepo := uniqueName("inv10-lfs")
	s.h.must(200, s.h.do("POST", "/api/repos/create", s.u.bearer(), map[string]any{"name": lfsRepo}), "create LFS repo")
	a := account{user: s.u.Name, token: wtok, repo: lfsRepo}
	files, tokens = carrierFiles(t, leak, ".bin")
	stk.push(t, a, files)
	for p, tok := range tokens {
		status := 0
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			if status = s.whoamiStatus(tok); status == 401 {
				break
			}
		}
		if status != 401 {
			t.Errorf("LFS: token in %s still answers %d after the scan, want 401", p, status)
		}
	}
	if !mailContains(t, s.u.Email, "LFS object") {
		t.Errorf("no mail to the owner naming an LFS object")
	}
	if st := s.whoamiStatus(wtok); st != 200 {
		t.Errorf("the pushing token: %d, want 200 (only leaked ones are revoked)", st)
	}
}
