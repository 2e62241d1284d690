package signature_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/gitobject"
	"github.com/hubsec/trustlayer/shared/signature"
)

// FuzzVerify checks that hostile objects yield a verdict or a ParseError,
// never a panic or another error, and never a verified tampered object.
func FuzzVerify(f *testing.F) {
	for _, name := range []string{"commit-gpg.txt", "commit-ssh.txt", "commit-mergetag.txt", "commit-sha256.txt", "tag-gpg.txt"} {
		f.Add(readFile(f, name), name == "tag-gpg.txt")
	}
	d := fixtureDir(f)
	valid := map[string]bool{}
	for _, name := range []string{"commit-gpg.txt", "commit-ssh.txt", "commit-mergetag.txt", "commit-sha256.txt", "commit-encoding.txt", "tag-gpg.txt"} {
		valid[string(readFile(f, name))] = true
	}
	f.Fuzz(func(t *testing.T, raw []byte, isTag bool) {
		kind := signature.Commit
		if isTag {
			kind = signature.Tag
		}
		res, err := signature.Verify(context.Background(), raw, kind, d, time.Unix(1800000000, 0))
		if err != nil {
			var pe *gitobject.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a ParseError: %v", err, err)
			}
			return
		}
		if res.Verified && !valid[string(raw)] {
			// Only whitespace-insensitive armor edits may keep a signature valid.
			p, _, _ := gitobject.SplitSignature(kind, raw)
			for v := range valid {
				if vp, _, _ := gitobject.SplitSignature(kind, []byte(v)); string(vp) == string(p) {
					return
				}
			}
			t.Fatalf("verified an object whose payload was changed")
		}
	})
}
