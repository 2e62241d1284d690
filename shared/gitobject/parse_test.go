package gitobject

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCommitFixtures(t *testing.T) {
	tests := []struct {
		file      string
		format    Format
		id        string // "" when not pinned
		parents   int
		signed    bool
		encoding  string
		mergetags int
	}{
		{"commit-gpg.txt", SHA1, "513826b03009c30637087c806e381d6336cc32b4", 0, true, "", 0},
		{"commit-unsigned.txt", SHA1, "", 1, false, "", 0},
		{"commit-encoding.txt", SHA1, "8074ae671e7d23ba0ae02d9ae8d43dbd930a9f15", 1, true, "ISO-8859-1", 0},
		{"commit-ssh.txt", SHA1, "57dbee470dfdd7ebb7a378448b0e47039cdea1c0", 1, true, "", 0},
		{"commit-mergetag.txt", SHA1, "", 2, true, "", 1},
		{"commit-sha256.txt", SHA256, "", 0, true, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readTestdata(t, tt.file)
			c, err := ParseCommit(raw)
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != tt.format {
				t.Errorf("format: got %s, want %s", c.Format, tt.format)
			}
			if tt.id != "" && c.ID() != tt.id {
				t.Errorf("id: got %s, want %s", c.ID(), tt.id)
			}
			if len(c.Parents) != tt.parents || c.Encoding != tt.encoding || len(c.MergeTags) != tt.mergetags {
				t.Errorf("got parents=%d encoding=%q mergetags=%d", len(c.Parents), c.Encoding, len(c.MergeTags))
			}
			if (c.Signature != nil) != tt.signed {
				t.Fatalf("signed: got %v, want %v", c.Signature != nil, tt.signed)
			}
			if c.Committer.Email != "alice@example.com" && c.Committer.Email != "bob@example.com" {
				t.Errorf("committer email: got %q", c.Committer.Email)
			}
			if c.Committer.Unix != 1700000000 || c.Committer.TZ != "+0200" || c.Committer.Date.Unix() != 1700000000 {
				t.Errorf("committer time: got %d %s", c.Committer.Unix, c.Committer.TZ)
			}
			if !tt.signed {
				if !bytes.Equal(c.Payload, raw) {
					t.Error("unsigned payload differs from raw")
				}
				return
			}
			if bytes.Contains(c.Payload, []byte("gpgsig")) {
				t.Error("payload still carries a signature header")
			}
			if !bytes.HasPrefix(c.Signature, []byte("-----BEGIN ")) || !bytes.HasSuffix(c.Signature, []byte("-----\n")) {
				t.Errorf("signature not a full armor block: %q", c.Signature)
			}
			for _, keep := range []string{"encoding ", "mergetag "} {
				if bytes.Contains(raw, []byte("\n"+keep)) && !bytes.Contains(c.Payload, []byte("\n"+keep)) {
					t.Errorf("payload lost the %s header", keep)
				}
			}
		})
	}
}

func TestParseTagFixture(t *testing.T) {
	raw := readTestdata(t, "tag-gpg.txt")
	tag, err := ParseTag(raw)
	if err != nil {
		t.Fatal(err)
	}
	if tag.Name != "v1" || tag.Type != "commit" || tag.Tagger == nil || tag.Tagger.Email != "alice@example.com" {
		t.Errorf("got name=%q type=%q tagger=%v", tag.Name, tag.Type, tag.Tagger)
	}
	if tag.Message != "release v1\n" {
		t.Errorf("message: got %q", tag.Message)
	}
	if !bytes.Equal(append(append([]byte{}, tag.Payload...), tag.Signature...), raw) {
		t.Error("payload + signature != raw")
	}
}

func TestParseCommitErrors(t *testing.T) {
	const tree = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
	const who = "author A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n"
	long := tree + "x-long " + strings.Repeat("a", DefaultLimits.MaxLineLength) + "\n" + who + "\nm"
	tests := []struct {
		name string
		raw  string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"no newline after headers", tree + who[:len(who)-1], ErrTruncated},
		{"not a header", tree + who + "hello\n", ErrBadHeader},
		{"missing tree", who + "\nmsg", ErrMissingHeader},
		{"missing committer", tree + "author A <a@x> 1 +0000\n\nmsg", ErrMissingHeader},
		{"tree not first", "author A <a@x> 1 +0000\n" + tree + "committer A <a@x> 1 +0000\n\n", ErrBadHeader},
		{"two trees", tree + tree + who + "\n", ErrDuplicateHeader},
		{"two committers", tree + who + "committer A <a@x> 1 +0000\n\n", ErrDuplicateHeader},
		{"bad tree id", "tree xyz\n" + who + "\n", ErrBadObjectID},
		{"mixed formats", tree + "parent " + strings.Repeat("a", 64) + "\n" + who + "\n", ErrBadObjectID},
		{"NUL in header", tree + "author A\x00 <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\n", ErrNUL},
		{"bad identity", tree + "author A a@x 1 +0000\ncommitter A <a@x> 1 +0000\n\n", ErrBadIdentity},
		{"bad time zone", tree + "author A <a@x> 1 0000\ncommitter A <a@x> 1 +0000\n\n", ErrBadIdentity},
		{"duplicate gpgsig", tree + who + "gpgsig a\n b\ngpgsig c\n\n", ErrDuplicateSignature},
		{"continuation first", " x\n" + tree + who + "\n", ErrBadHeader},
		{"line too long", long, ErrLineTooLong},
		{"tag given as commit", string(readTestdata(t, "tag-gpg.txt")), ErrMissingHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCommit([]byte(tt.raw))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Error() == "" {
				t.Fatalf("error %v is not a *ParseError", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	raw := readTestdata(t, "commit-gpg.txt")
	if _, err := ParseCommitLimits(raw, Limits{MaxObjectSize: 10, MaxHeaders: 100, MaxLineLength: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size: got %v", err)
	}
	if _, err := ParseCommitLimits(raw, Limits{MaxObjectSize: 1 << 20, MaxHeaders: 2, MaxLineLength: 100}); !errors.Is(err, ErrTooManyHeaders) {
		t.Errorf("headers: got %v", err)
	}
}

func TestBothSignatureHeaders(t *testing.T) {
	const who = "author A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n"
	body := who + "gpgsig SIG1\n one\ngpgsig-sha256 SIG256\n two\nencoding UTF-8\n\nmsg\n"
	sha1Raw := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" + body
	c, err := ParseCommit([]byte(sha1Raw))
	if err != nil {
		t.Fatal(err)
	}
	wantPayload := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" + who + "encoding UTF-8\n\nmsg\n"
	if string(c.Signature) != "SIG1\none\n" || string(c.Payload) != wantPayload {
		t.Errorf("sha1: got sig %q payload %q", c.Signature, c.Payload)
	}
	sha256Raw := "tree " + strings.Repeat("b", 64) + "\n" + body
	c, err = ParseCommit([]byte(sha256Raw))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Signature) != "SIG256\ntwo\n" {
		t.Errorf("sha256: got sig %q", c.Signature)
	}
}

func TestObjectIDKnown(t *testing.T) {
	// The empty tree, a value every git user can check.
	if got := ObjectID("tree", nil, SHA1); got != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
		t.Errorf("sha1 empty tree: got %s", got)
	}
	if got := ObjectID("tree", nil, SHA256); got != "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321" {
		t.Errorf("sha256 empty tree: got %s", got)
	}
}

func TestSplitSignatureWrongKind(t *testing.T) {
	if _, _, err := SplitSignature("blob", []byte("x")); !errors.Is(err, ErrWrongKind) {
		t.Errorf("got %v, want ErrWrongKind", err)
	}
}
