// Invariant 10, the part done (docs/invariants.md): secrets are found
// wherever a push can carry them, here in the names git carries: file
// names and branch and tag names.

package e2e

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/token"
)

// TestInvariantSecretsInNamesAreFound: a live token as a file name (the
// file's bytes are an old blob, so only the new tree holds the name), as
// a branch name and as a tag name (no new object at all) is found: the
// push is refused naming the place with the token masked, the token is
// dead, and neither git's output nor the audit log repeats it.
func TestInvariantSecretsInNamesAreFound(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	path := "/" + s.u.Name + "/" + name + ".git"
	r := s.g.NewRepo("w", "sha1")
	base := s.commitFile(t, r, "README.md", "hello\n", "first")
	if out, err := s.push(t, r, path, "main"); err != nil {
		t.Fatalf("clean push: %v\n%s", err, out)
	}
	cases := []struct {
		what, refspec, where string
		prepare              func(leaked string)
	}{
		{"file name", "main", "a file name in folder notes", func(leaked string) {
			s.commitFile(t, r, "notes/"+leaked+".txt", "hello\n", "same bytes, new name")
		}},
		{"branch name", "", "name of ref refs/heads/hf_", nil},
		{"tag name", "", "name of ref refs/tags/hf_", nil},
	}
	for _, c := range cases {
		leaked, _ := s.h.token(s.u, "read")
		refspec := c.refspec
		switch c.what {
		case "branch name":
			refspec = base + ":refs/heads/" + leaked
		case "tag name":
			refspec = base + ":refs/tags/" + leaked
		}
		if c.prepare != nil {
			c.prepare(leaked)
		}
		out, err := s.push(t, r, path, refspec)
		clean := strings.ReplaceAll(out, leaked, "<leaked>")
		if err == nil {
			t.Errorf("%s: push with a live token accepted:\n%s", c.what, clean)
		}
		for _, want := range []string{"contains a valid credential", c.where, token.Hint(leaked)} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", c.what, want, clean)
			}
		}
		// git itself echoes the refspec it was given; the hook's lines must not.
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "remote:") && strings.Contains(line, leaked) {
				t.Errorf("%s: the hook repeats the token: %s", c.what, strings.ReplaceAll(line, leaked, "<leaked>"))
			}
		}
		if st := s.whoamiStatus(leaked); st != 401 {
			t.Errorf("%s: leaked token after the push: %d, want 401", c.what, st)
		}
		audit := s.h.must(200, s.h.do("GET", "/api/settings/audit", s.u.bearer(), nil), "audit")
		if strings.Contains(string(audit.Body), leaked) {
			t.Errorf("%s: the audit log holds the token", c.what)
		}
		if c.prepare != nil {
			r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "reset", "-q", "--hard", base)
		}
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != base {
		t.Errorf("main moved to %s, want %s", got, base)
	}
}
