// End-to-end tests of secret push protection: the pre-receive hook finds
// our credentials (by checksum) in pushed files and commit messages; a
// live one refuses the push and is revoked, its owner mailed and audited.

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/token"
)

// commitFile writes path with content in r and commits it with msg.
func (s signer) commitFile(t *testing.T, r *gittest.Repo, path, content, msg string) string {
	t.Helper()
	full := filepath.Join(r.Dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "add", "-A")
	r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "commit", "-q", "-m", msg)
	return r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "rev-parse", "HEAD")
}

func (s signer) whoamiStatus(tok string) int {
	return s.h.do("GET", "/api/whoami-v2", "Bearer "+tok, nil).Status
}

// TestLiveTokenInPushIsRefusedAndRevoked: a push holding a live hf_
// token in a nested file is refused, naming path, line and how to clean
// history; the token is dead afterwards (the pushing token is not), the
// owner has mail and an audit event.
func TestLiveTokenInPushIsRefusedAndRevoked(t *testing.T) {
	s := newSigner(t)
	leaked, _ := s.h.token(s.u, "read")
	s.h.must(200, s.h.do("GET", "/api/whoami-v2", "Bearer "+leaked, nil), "leaked token works before the push")
	name := s.createRepo(t, map[string]any{})
	path := "/" + s.u.Name + "/" + name + ".git"
	r := s.g.NewRepo("w", "sha1")
	base := s.commitFile(t, r, "README.md", "hello\n", "first")
	if out, err := s.push(t, r, path, "main"); err != nil {
		t.Fatalf("clean push: %v\n%s", err, out)
	}
	s.commitFile(t, r, "scripts/train.py", "import os\n\nHF_TOKEN = \""+leaked+"\"\n", "add training script")
	out, err := s.push(t, r, path, "main")
	out = strings.ReplaceAll(out, leaked, "<leaked>")
	if err == nil {
		t.Fatalf("push with a live token accepted:\n%s", out)
	}
	for _, want := range []string{"remote: Your push was rejected because it contains a valid credential", "scripts/train.py", "line 3",
		token.Hint(leaked), "git filter-repo", "pre-receive hook declined"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<leaked>") {
		t.Errorf("the refusal repeats the token:\n%s", out)
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != base {
		t.Errorf("main moved to %s, want %s", got, base)
	}
	if st := s.whoamiStatus(leaked); st != 401 {
		t.Errorf("leaked token after the push: got %d, want 401", st)
	}
	if st := s.whoamiStatus(s.token); st != 200 {
		t.Errorf("pushing token: got %d, want 200 (only the leaked one is revoked)", st)
	}
	if !mailContains(t, s.u.Email, "was found in a push") {
		t.Errorf("no mail to the owner")
	}
	audit := s.h.must(200, s.h.do("GET", "/api/settings/audit", s.u.bearer(), nil), "audit")
	if !strings.Contains(string(audit.Body), "token.revoked_leaked") || !strings.Contains(string(audit.Body), "scripts/train.py") {
		t.Errorf("audit lacks the revocation: %s", audit.Body)
	}
}

// TestTokenInCommitMessageIsRefused: commit messages are searched too.
func TestTokenInCommitMessageIsRefused(t *testing.T) {
	s := newSigner(t)
	leaked, _ := s.h.token(s.u, "read")
	name := s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	id := s.commitFile(t, r, "a.txt", "a\n", "use token\n\n"+leaked)
	out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main")
	if err == nil || !strings.Contains(out, "message of "+id) {
		t.Errorf("push: err %v, want refused naming the message of %s:\n%s", err, id, strings.ReplaceAll(out, leaked, "<leaked>"))
	}
	if st := s.whoamiStatus(leaked); st != 401 {
		t.Errorf("leaked token: got %d, want 401", st)
	}
}

// TestDeadTokenDoesNotBlock: a revoked token and a made-up token-shaped
// string do not block a push.
func TestDeadTokenDoesNotBlock(t *testing.T) {
	s := newSigner(t)
	dead, id := s.h.token(s.u, "read")
	s.h.must(204, s.h.do("DELETE", "/api/settings/tokens/"+id, s.u.bearer(), nil), "delete token")
	name := s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	s.commitFile(t, r, "notes.txt", "old: "+dead+"\nfake: hf_"+strings.Repeat("Q", token.BodyLen)+"\n", "notes")
	if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main"); err != nil {
		t.Fatalf("push with a dead token refused: %v\n%s", err, out)
	}
}

// TestAllowSecretsInPushesStillRevokes: with the repository setting the
// push passes, with a notice, and the token is revoked all the same.
func TestAllowSecretsInPushesStillRevokes(t *testing.T) {
	s := newSigner(t)
	leaked, _ := s.h.token(s.u, "read")
	name := s.createRepo(t, map[string]any{})
	s.h.must(200, s.h.do("PUT", "/api/models/"+s.u.Name+"/"+name+"/settings", s.u.bearer(), map[string]any{"allowSecretsInPushes": true}), "allow secrets")
	r := s.g.NewRepo("w", "sha1")
	s.commitFile(t, r, "cfg/.env", "HF_TOKEN="+leaked+"\n", "env")
	out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main")
	if err != nil {
		t.Fatalf("push refused although allowed: %v\n%s", err, strings.ReplaceAll(out, leaked, "<leaked>"))
	}
	if !strings.Contains(out, "It has been revoked") || !strings.Contains(out, "cfg/.env") {
		t.Errorf("no notice:\n%s", strings.ReplaceAll(out, leaked, "<leaked>"))
	}
	if st := s.whoamiStatus(leaked); st != 401 {
		t.Errorf("leaked token: got %d, want 401", st)
	}
}

// TestOrgTokenAndSessionInPushAreRevoked: the other two kinds of
// credential are found and revoked as well.
func TestOrgTokenAndSessionInPushAreRevoked(t *testing.T) {
	s := newSigner(t)
	org := uniqueName("leakorg")
	s.h.must(201, s.h.do("POST", "/api/organizations", s.u.bearer(), map[string]any{"name": org}), "create org")
	orgTok, _ := s.h.must(200, s.h.do("POST", "/api/organizations/"+org+"/token/refresh", s.u.bearer(), nil), "org token").json(t)["token"].(string)
	if st := s.whoamiStatus(orgTok); st != 200 {
		t.Fatalf("org token before the push: %d", st)
	}
	name := s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	s.commitFile(t, r, "deploy/ci.yml", "org: "+orgTok+"\nsession: "+s.u.Session+"\n", "ci")
	out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main")
	out = strings.NewReplacer(orgTok, "<org>", s.u.Session, "<session>").Replace(out)
	if err == nil || !strings.Contains(out, "org token") || !strings.Contains(out, "session token") {
		t.Errorf("push: err %v, want refused naming both:\n%s", err, out)
	}
	if st := s.whoamiStatus(orgTok); st != 401 {
		t.Errorf("org token after the push: got %d, want 401", st)
	}
	if st := s.whoamiStatus(s.u.Session); st != 401 {
		t.Errorf("session after the push: got %d, want 401", st)
	}
}

// TestOrgAllowSecretsInPushes: the organization's setting applies to its
// repositories; the token is revoked all the same.
func TestOrgAllowSecretsInPushes(t *testing.T) {
	s := newSigner(t)
	leaked, _ := s.h.token(s.u, "read")
	org := uniqueName("relaxed")
	s.h.must(201, s.h.do("POST", "/api/organizations", s.u.bearer(), map[string]any{"name": org}), "create org")
	s.h.must(200, s.h.do("PUT", "/api/organizations/"+org+"/settings", s.u.bearer(), map[string]any{"allowSecretsInPushes": true}), "allow secrets")
	name := s.createRepo(t, map[string]any{"organization": org})
	r := s.g.NewRepo("w", "sha1")
	s.commitFile(t, r, "token.txt", leaked+"\n", "oops")
	if out, err := s.push(t, r, "/"+org+"/"+name+".git", "main"); err != nil {
		t.Fatalf("push refused although the org allows it: %v\n%s", err, strings.ReplaceAll(out, leaked, "<leaked>"))
	}
	if st := s.whoamiStatus(leaked); st != 401 {
		t.Errorf("leaked token: got %d, want 401", st)
	}
}
