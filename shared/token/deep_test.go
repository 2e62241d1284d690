package token

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, big bool) []byte {
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

func gzipped(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// carriers returns, for a token, files that carry it other than as
// written, by name.
func carriers(t testing.TB, tok string) map[string][]byte {
	half := len(tok) / 2
	wrapped := base64.StdEncoding.EncodeToString([]byte("config:\n  token: " + tok + "\n"))
	var lines []string
	for len(wrapped) > 20 {
		lines, wrapped = append(lines, wrapped[:20]), wrapped[20:]
	}
	lines = append(lines, wrapped)
	return map[string][]byte{
		"json escaped newline":   []byte(`{"note": "` + tok[:half] + `\n` + tok[half:] + `"}`),
		"json \\u000a":           []byte(`{"note": "` + tok[:7] + `\u000a` + tok[7:] + `"}`),
		"json escaped crlf":      []byte(`{"k":"` + tok[:5] + `\r\n` + tok[5:] + `"}`),
		"string continued":       []byte("x = \"" + tok[:half] + "\\\n" + tok[half:] + "\"\n"),
		"concatenated":           []byte("x = \"" + tok[:half] + "\" + \"" + tok[half:] + "\"\n"),
		"adjacent strings":       []byte("x = (\"" + tok[:half] + "\"\n     \"" + tok[half:] + "\")\n"),
		"array pieces":           []byte(`{"parts": ["` + tok[:10] + `", "` + tok[10:] + `"]}`),
		"real line break":        []byte("token: " + tok[:half] + "\n  " + tok[half:] + "\n"),
		"base64":                 []byte("secret: " + base64.StdEncoding.EncodeToString([]byte(tok)) + "\n"),
		"base64 url, no padding": []byte("s=" + base64.RawURLEncoding.EncodeToString([]byte("Bearer "+tok+"?")) + "&x=1"),
		"base64 wrapped":         []byte(strings.Join(lines, "\n") + "\n"),
		"base64 in json string":  []byte(`{"auth":"` + base64.StdEncoding.EncodeToString([]byte("hf_user:"+tok)) + `"}`),
		"utf-16le":               utf16Bytes("\ufefftoken = "+tok+"\r\n", false),
		"utf-16be":               utf16Bytes("\ufefftoken = "+tok+"\r\n", true),
		"utf-16le split":         utf16Bytes("t = \""+tok[:half]+"\\n"+tok[half:]+"\"", false),
		"gzip member":            append([]byte("header\n"), gzipped(t, []byte("log line "+tok+"\n"))...),
		"gzip of utf-16":         gzipped(t, utf16Bytes(tok, false)),
		"base64 of gzip":         []byte("blob: " + base64.StdEncoding.EncodeToString(gzipped(t, []byte("x "+tok))) + "\n"),
		"second gzip member":     append(gzipped(t, []byte("nothing here")), gzipped(t, []byte(tok))...),
	}
}

// TestFinderDecodesCarriers: every carrier of every kind of token is
// found once, at the carrier's place; the same bytes without a live
// checksum give nothing.
func TestFinderDecodesCarriers(t *testing.T) {
	for _, k := range []Kind{KindUser, KindOrg, KindSession} {
		tok := gen(t, k)
		for name, b := range carriers(t, tok) {
			if bytes.Contains(b, []byte(tok)) {
				t.Fatalf("%s: carrier holds the token as written", name)
			}
			for _, chunk := range []int{1 << 21, 13} {
				got := find(b, chunk)
				if len(got) != 1 || got[0].Token != tok || got[0].Kind != k {
					t.Errorf("%v %s (writes of %d): got %v, want %s once", k, name, chunk, got, Hint(tok))
				}
			}
		}
	}
	// A checksum off by one letter: every carrier is silent.
	tok := gen(t, KindUser)
	bad := tok[:len(tok)-1] + string(rune('A'+(tok[len(tok)-1]-'A'+1)%26))
	if _, err := Parse(bad); err == nil {
		bad = tok[:len(tok)-1] + "z"
	}
	for name, b := range carriers(t, bad) {
		if got := find(b, 1<<21); len(got) != 0 {
			t.Errorf("%s with a bad checksum: got %v", name, got)
		}
	}
}

// TestFinderCarrierAcrossWindows: a base64 carrier and a gzip member
// across the Finder's search boundary are found, at their place.
func TestFinderCarrierAcrossWindows(t *testing.T) {
	tok := gen(t, KindUser)
	for name, carrier := range map[string][]byte{
		"base64": []byte(base64.StdEncoding.EncodeToString([]byte(tok))),
		"gzip":   gzipped(t, []byte(tok)),
	} {
		for _, at := range []int{finderChunk - 40, finderChunk - 5, finderChunk + 1} {
			b := append(bytes.Repeat([]byte("x\n"), at/2), ' ')
			off := len(b)
			b = append(append(b, carrier...), " tail\n"...)
			got := find(b, 4096)
			if len(got) != 1 || got[0].Token != tok || got[0].Offset != int64(off) || got[0].Line != at/2+1 {
				t.Errorf("%s at %d: got %+v, want %s at offset %d line %d", name, at, got, Hint(tok), off, at/2+1)
			}
		}
	}
}

// TestFinderDecoderBounds: a gzip bomb is read only up to MaxGzipOut, and
// a token past that cap is not found (the cap is the stated rule).
func TestFinderDecoderBounds(t *testing.T) {
	tok := gen(t, KindUser)
	big := append(bytes.Repeat([]byte{0}, MaxGzipOut+10), tok...)
	if got := find(gzipped(t, big), 1<<21); len(got) != 0 {
		t.Errorf("token past the gzip cap: got %v", got)
	}
	small := append(bytes.Repeat([]byte{'.'}, MaxGzipOut-100), tok...)
	if got := find(gzipped(t, small), 1<<21); len(got) != 1 {
		t.Errorf("token within the gzip cap: got %v", got)
	}
}

// FuzzFinderDecoders: hostile bytes never panic the decoding layer, every
// report is a well-formed token, and a token appended as written is
// always found.
func FuzzFinderDecoders(f *testing.F) {
	tok := validUser
	for _, b := range carriers(f, tok) {
		f.Add(b)
	}
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte(`\u000`))
	f.Add([]byte(`\`))
	f.Add(bytes.Repeat([]byte("QUFB"), 40))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, h := range find(b, 1<<21) {
			if k, err := Parse(h.Token); err != nil || k != h.Kind || h.Offset < 0 || h.Offset > int64(len(b)) || h.Line < 1 {
				t.Fatalf("bad report %+v", h)
			}
		}
		withTok := append(append(append([]byte{}, b...), ' '), tok...)
		found := false
		for _, h := range find(withTok, 1<<21) {
			found = found || h.Token == tok
		}
		if !found {
			t.Fatalf("token appended as written not found")
		}
	})
}
