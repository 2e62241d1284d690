// End-to-end tests of trust at push time: the git server's hooks
// (infra/cmd/githook) verify and record every pushed commit and tag, and
// enforce "require signed commits", through the local stack with real
// git and gpg.

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// signer is a user with a GPG key uploaded to their account, a write
// token, and a gittest environment holding the private key.
type signer struct {
	h     *hubClient
	u     hubUser
	token string
	g     *gittest.Env
	fpr   string
}

func newSigner(t testing.TB) signer {
	t.Helper()
	testenv.RequireTool(t, "gpg")
	h := newHub(t)
	u := h.signup("push")
	tok, _ := h.token(u, "write")
	g := gittest.New(t)
	fpr := g.GenKey(u.Name+" <"+u.Email+">", "ed25519", "sign", "never", 0)
	h.must(201, h.do("POST", "/api/settings/gpg-keys", u.bearer(), map[string]string{"armoredKey": g.Export(fpr)}), "upload gpg key")
	return signer{h: h, u: u, token: tok, g: g, fpr: fpr}
}

func (s signer) key() gittest.Signer { return gittest.Signer{Format: "openpgp", Key: s.fpr} }

// commit makes a commit in r signed with s's key (or unsigned).
func (s signer) commit(r *gittest.Repo, signed bool, msg string) string {
	var k gittest.Signer
	if signed {
		k = s.key()
	}
	return r.Commit(s.u.Name, s.u.Email, k, msg)
}

func (s signer) remote(t testing.TB, path string) string {
	return remoteURL(t, s.h.base, s.u.Name, s.token, path)
}

// push runs git push in r and returns its combined output and error.
func (s signer) push(t testing.TB, r *gittest.Repo, path string, refs ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"push", s.remote(t, path)}, refs...)...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=/bin/false", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+r.Dir)
	out, err := cmd.CombinedOutput()
	return strings.ReplaceAll(string(out), s.token, "hf_***"), err
}

// remoteHead returns what the server's ref points at ("" when absent).
func (s signer) remoteHead(t *testing.T, path, ref string) string {
	t.Helper()
	out, err := gitRun(t, t.TempDir(), "ls-remote", s.remote(t, path), ref)
	if err != nil {
		t.Fatalf("ls-remote: %v\n%s", err, strings.ReplaceAll(out, s.token, "hf_***"))
	}
	id, _, _ := strings.Cut(out, "\t")
	return strings.TrimSpace(id)
}

func (s signer) createRepo(t testing.TB, body map[string]any) string {
	t.Helper()
	if body["name"] == nil {
		body["name"] = uniqueName("signed")
	}
	s.h.must(200, s.h.do("POST", "/api/repos/create", s.u.bearer(), body), "create repo")
	return body["name"].(string)
}

// TestSignedPushRecordsEveryCommitAndTag: a plain git push of signed
// commits and a signed tag leaves a record for each, without any other
// call, and each record is what POST .../commits/verify says for the same
// object.
func TestSignedPushRecordsEveryCommitAndTag(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	var ids []string
	for i := range 3 {
		ids = append(ids, s.commit(r, true, fmt.Sprintf("signed %d", i)))
	}
	r.Git(s.u.Name, s.u.Email, s.key(), "tag", "-s", "v1", "-m", "release v1")
	tag := r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "rev-parse", "v1")
	if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main", "refs/tags/v1"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	api := "/api/models/" + s.u.Name + "/" + name
	var commits []string
	for _, id := range ids {
		rec := s.h.must(200, s.h.do("GET", api+"/commits/"+id+"/verification", "Bearer "+s.token, nil), "record of "+id).json(t)
		if rec["status"] != "verified" || rec["kind"] != "commit" || rec["submittedBy"] != s.u.Name {
			t.Errorf("record of %s: got %v, want a verified commit submitted by %s", id, rec, s.u.Name)
		}
		commits = append(commits, string(r.CatFile("commit", id)))
	}
	trec := s.h.must(200, s.h.do("GET", api+"/commits/"+tag+"/verification", "Bearer "+s.token, nil), "record of tag").json(t)
	if trec["status"] != "verified" || trec["kind"] != "tag" {
		t.Errorf("record of tag %s: got %v, want verified tag", tag, trec)
	}
	// The verify endpoint on the same objects finds the push's records.
	v := s.h.must(200, s.h.do("POST", api+"/commits/verify", "Bearer "+s.token,
		map[string]any{"commits": commits, "tags": []string{string(r.CatFile("tag", tag))}}), "verify").json(t)
	results := v["results"].([]any)
	for i, id := range append(append([]string(nil), ids...), tag) {
		got := results[i].(map[string]any)
		rec := s.h.must(200, s.h.do("GET", api+"/commits/"+id+"/verification", "Bearer "+s.token, nil), "record").json(t)
		for _, k := range []string{"objectId", "status", "reason", "signatureType", "signerFingerprint", "verifiedAt"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(rec[k]) {
				t.Errorf("%s %s: verify says %v, push record says %v", id, k, got[k], rec[k])
			}
		}
		if got["alreadyRecorded"] != true {
			t.Errorf("%s: verify did not find the push's record: %v", id, got)
		}
	}
}

// refusedPush checks a push into path is refused, names every offending
// commit with its reason, and leaves main unchanged.
func refusedPush(t *testing.T, s signer, r *gittest.Repo, path, before string, want map[string]string) {
	t.Helper()
	out, err := s.push(t, r, path, "main")
	if err == nil {
		t.Fatalf("push accepted, want refused:\n%s", out)
	}
	if !strings.Contains(out, "remote: Your push was rejected") || !strings.Contains(out, "pre-receive hook declined") {
		t.Errorf("git's output does not carry the refusal:\n%s", out)
	}
	for id, reason := range want {
		if !strings.Contains(out, id+": unverified ("+reason+")") && !strings.Contains(out, id+": unsigned ("+reason+")") {
			t.Errorf("output does not name %s with %s:\n%s", id, reason, out)
		}
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != before {
		t.Errorf("main moved to %q, want %q (unchanged)", got, before)
	}
}

// TestRequireSignedRefusesPush: with requireSignedCommits on the
// repository, a push with an unsigned, a tampered and an unknown-key
// commit is refused with each reason on git's stderr, and main does not
// move; a signed push is accepted.
func TestRequireSignedRefusesPush(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	s.h.must(200, s.h.do("PUT", "/api/models/"+s.u.Name+"/"+name+"/settings", s.u.bearer(), map[string]any{"requireSignedCommits": true}), "require signed")
	path := "/" + s.u.Name + "/" + name + ".git"
	r := s.g.NewRepo("w", "sha1")
	good := s.commit(r, true, "signed base")
	if out, err := s.push(t, r, path, "main"); err != nil {
		t.Fatalf("signed push refused: %v\n%s", err, out)
	}

	unsigned := s.commit(r, false, "unsigned")
	// Tampered: a signed commit whose message was changed after signing.
	signed := s.commit(r, true, "signed then altered")
	raw := strings.Replace(string(r.CatFile("commit", signed)), "signed then altered", "signed and ALTERED", 1)
	tampered := r.Write("commit", []byte(raw))
	r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "update-ref", "refs/heads/main", tampered)
	// Unknown key: a key nobody uploaded.
	other := s.g.GenKey("Stranger <stranger-"+s.u.Name+"@example.com>", "ed25519", "sign", "never", 0)
	if other == s.fpr {
		t.Fatal("the stranger's key is the user's key")
	}
	unknown := r.Commit(s.u.Name, s.u.Email, gittest.Signer{Format: "openpgp", Key: other}, "unknown key")

	refusedPush(t, s, r, path, good, map[string]string{unsigned: "unsigned", tampered: "invalid", unknown: "unknown_key"})
}

// TestOrgRequireSignedRefusesPush: the organization's setting applies to
// its repositories.
func TestOrgRequireSignedRefusesPush(t *testing.T) {
	s := newSigner(t)
	org := uniqueName("sorg")
	s.h.must(201, s.h.do("POST", "/api/organizations", s.u.bearer(), map[string]any{"name": org}), "create org")
	s.h.must(200, s.h.do("PUT", "/api/organizations/"+org+"/settings", s.u.bearer(), map[string]any{"requireSignedCommits": true}), "org requires signed")
	name := s.createRepo(t, map[string]any{"organization": org})
	r := s.g.NewRepo("w", "sha1")
	unsigned := s.commit(r, false, "unsigned")
	refusedPush(t, s, r, "/"+org+"/"+name+".git", "", map[string]string{unsigned: "unsigned"})
}

// TestUnsignedPushAcceptedAndRecorded: without the policy, an unsigned
// push passes and is recorded as unsigned.
func TestUnsignedPushAcceptedAndRecorded(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	id := s.commit(r, false, "unsigned")
	if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	rec := s.h.must(200, s.h.do("GET", "/api/models/"+s.u.Name+"/"+name+"/commits/"+id+"/verification", "Bearer "+s.token, nil), "record").json(t)
	if rec["status"] != "unsigned" {
		t.Errorf("record: got %v, want unsigned", rec)
	}
}

// TestPushRefusedWhenCommitsFunctionUnreachable: the hook fails closed.
// The repository's own git config points its hook at a closed port (the
// system configuration points at the stack's Lambda endpoint).
func TestPushRefusedWhenCommitsFunctionUnreachable(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	path := "/" + s.u.Name + "/" + name + ".git"
	s.remoteHead(t, path, "refs/heads/main") // the git server creates the repository
	bare := gitFolder(t, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token)
	if out, err := exec.Command("git", "config", "-f", filepath.Join(bare, "config"), "trustlayer.lambdaEndpoint", "http://127.0.0.1:1").CombinedOutput(); err != nil {
		t.Fatalf("git config: %v %s", err, out)
	}
	r := s.g.NewRepo("w", "sha1")
	s.commit(r, true, "signed")
	out, err := s.push(t, r, path, "main")
	if err == nil {
		t.Fatalf("push accepted with the commits function unreachable:\n%s", out)
	}
	if !strings.Contains(out, "remote: push refused: the trust service cannot be reached") {
		t.Errorf("output does not say why:\n%s", out)
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != "" {
		t.Errorf("main was created (%s)", got)
	}
}

// TestCommitListWithVerification: GET .../commits/{rev} lists the pushed
// commits newest first with their stored verification, paged with Link;
// a tag and a commit id work as revisions.
func TestCommitListWithVerification(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	r := s.g.NewRepo("w", "sha1")
	var ids []string
	for i := range 4 {
		// gittest fixes every date: the order comes from the parents.
		ids = append(ids, s.commit(r, i%2 == 0, fmt.Sprintf("change %d\n\nbody %d", i, i)))
	}
	r.Git(s.u.Name, s.u.Email, gittest.Signer{}, "tag", "v1", ids[1])
	if out, err := s.push(t, r, "/"+s.u.Name+"/"+name+".git", "main", "refs/tags/v1"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	waitIndexed(t, s.h.base, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token, "v1", ids[1])
	waitIndexed(t, s.h.base, "/api/models/"+s.u.Name+"/"+name, "Bearer "+s.token, "main", ids[len(ids)-1])
	api := "/api/models/" + s.u.Name + "/" + name + "/commits/"
	type commit struct {
		ID, Title, Message string
		Parents            []string
		Verification       struct {
			Status, Reason, SignatureType string
			Signer                        *struct{ AccountID string }
		}
	}
	list := func(path string) ([]commit, string) {
		res := s.h.must(200, s.h.do("GET", api+path, "Bearer "+s.token, nil), "list "+path)
		var out []commit
		if err := json.Unmarshal(res.Body, &out); err != nil {
			t.Fatal(err)
		}
		return out, res.Header.Get("Link")
	}
	all, link := list("main")
	if len(all) != 4 || link != "" {
		t.Fatalf("main: got %d commits, link %q; want 4, none", len(all), link)
	}
	for i, c := range all {
		want := ids[3-i]
		signed := (3-i)%2 == 0
		if c.ID != want || c.Title != fmt.Sprintf("change %d", 3-i) {
			t.Errorf("[%d]: got %s %q, want %s", i, c.ID, c.Title, want)
		}
		if signed && (c.Verification.Status != "verified" || c.Verification.Signer == nil || c.Verification.SignatureType != "gpg") {
			t.Errorf("[%d] signed: got %+v", i, c.Verification)
		}
		if !signed && (c.Verification.Status != "unsigned" || c.Verification.Signer != nil) {
			t.Errorf("[%d] unsigned: got %+v", i, c.Verification)
		}
	}
	if len(all[0].Parents) != 1 || all[0].Parents[0] != ids[2] {
		t.Errorf("parents of the tip: %v", all[0].Parents)
	}
	page, link := list("main?limit=3")
	if len(page) != 3 || !strings.Contains(link, "p=1") || !strings.Contains(link, `rel="next"`) {
		t.Fatalf("first page: %d commits, link %q", len(page), link)
	}
	rest, link := list("main?limit=3&p=1")
	if len(rest) != 1 || rest[0].ID != ids[0] || link != "" {
		t.Errorf("second page: %+v, link %q", rest, link)
	}
	if byTag, _ := list("v1"); len(byTag) != 2 || byTag[0].ID != ids[1] {
		t.Errorf("tag v1: %+v", byTag)
	}
	if byID, _ := list(ids[2]); len(byID) != 3 {
		t.Errorf("commit id: %d commits, want 3", len(byID))
	}
	s.h.must(404, s.h.do("GET", api+"no-such-branch", "Bearer "+s.token, nil), "unknown revision")
}
