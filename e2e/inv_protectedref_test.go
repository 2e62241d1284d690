// Invariant 3 (docs/invariants.md): no commit reaches a ref of a
// repository that requires signed commits without passing the policy at
// that moment, whether or not the repository already holds it.

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/gitobject/gittest"
)

// pushRefused pushes refspec and checks git refuses it naming id with
// "status (reason)", and that ref still points at before.
func pushRefused(t *testing.T, s signer, r *gittest.Repo, path, refspec, id, verdict, ref, before string) {
	t.Helper()
	out, err := s.push(t, r, path, refspec)
	if err == nil {
		t.Errorf("push %s accepted, want refused:\n%s", refspec, out)
	} else if !strings.Contains(out, id+": "+verdict) {
		t.Errorf("push %s: the refusal does not name %s as %s:\n%s", refspec, id, verdict, out)
	}
	if got := s.remoteHead(t, path, ref); got != before {
		t.Errorf("push %s: %s moved to %q, want %q", refspec, ref, got, before)
	}
}

// TestInvariantProtectedRefJudgesEveryCommit: an unsigned commit pushed
// to a side branch before the policy was on cannot be moved onto main,
// nor onto a new branch or tag, after; a commit recorded verified with a
// key since deleted (a stolen key pre-recording commits) is judged again
// when it reaches main, by git push and by the verify API alike.
func TestInvariantProtectedRefJudgesEveryCommit(t *testing.T) {
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	path := "/" + s.u.Name + "/" + name + ".git"
	api := "/api/models/" + s.u.Name + "/" + name
	r := s.g.NewRepo("w", "sha1")
	none := gittest.Signer{}

	base := s.commit(r, true, "signed base")
	if out, err := s.push(t, r, path, "main"); err != nil {
		t.Fatalf("push base: %v\n%s", err, out)
	}
	// Before the policy: an unsigned commit on a side branch.
	unsigned := s.commit(r, false, "unsigned, before the policy")
	if out, err := s.push(t, r, path, "main:refs/heads/side"); err != nil {
		t.Fatalf("push side: %v\n%s", err, out)
	}
	r.Git(s.u.Name, s.u.Email, none, "reset", "-q", "--hard", base)
	s.h.must(200, s.h.do("PUT", api+"/settings", s.u.bearer(), map[string]any{"requireSignedCommits": true}), "require signed")

	// The repository holds it; it reaches no ref under the policy.
	pushRefused(t, s, r, path, unsigned+":refs/heads/main", unsigned, "unsigned (unsigned)", "refs/heads/main", base)
	pushRefused(t, s, r, path, unsigned+":refs/heads/release", unsigned, "unsigned (unsigned)", "refs/heads/release", "")
	pushRefused(t, s, r, path, unsigned+":refs/tags/v0", unsigned, "unsigned (unsigned)", "refs/tags/v0", "")

	// A commit recorded verified on a side branch, then its key deleted.
	signed := s.commit(r, true, "signed with a key about to be deleted")
	if out, err := s.push(t, r, path, "main:refs/heads/side2"); err != nil {
		t.Fatalf("push side2 (signed, under the policy): %v\n%s", err, out)
	}
	rec := s.h.must(200, s.h.do("GET", api+"/commits/"+signed+"/verification", "Bearer "+s.token, nil), "record").json(t)
	if rec["status"] != "verified" {
		t.Fatalf("record of %s: %v, want verified", signed, rec)
	}
	var keys []map[string]any
	if err := json.Unmarshal(s.h.must(200, s.h.do("GET", "/api/settings/gpg-keys", s.u.bearer(), nil), "list keys").Body, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("keys: %v, want one", keys)
	}
	s.h.must(204, s.h.do("DELETE", "/api/settings/gpg-keys/"+keys[0]["id"].(string), s.u.bearer(), nil), "delete key")

	pushRefused(t, s, r, path, "main:refs/heads/main", signed, "unverified (unknown_key)", "refs/heads/main", base)
	v := s.h.must(200, s.h.do("POST", api+"/commits/verify", "Bearer "+s.token,
		map[string]any{"commits": []string{string(r.CatFile("commit", signed))}}), "verify").json(t)
	if push := v["push"].(map[string]any); push["allowed"] != false {
		t.Errorf("verify API after the key was deleted: push %v, want not allowed", push)
	}
	// The record itself stays as it was made (first record wins).
	rec = s.h.must(200, s.h.do("GET", api+"/commits/"+signed+"/verification", "Bearer "+s.token, nil), "record").json(t)
	if rec["status"] != "verified" {
		t.Errorf("record of %s changed: %v", signed, rec)
	}

	// The key back: the same commit passes, so the refusal was the key's.
	s.h.must(201, s.h.do("POST", "/api/settings/gpg-keys", s.u.bearer(), map[string]string{"armoredKey": s.g.Export(s.fpr)}), "upload the key again")
	if out, err := s.push(t, r, path, "main:refs/heads/main"); err != nil {
		t.Fatalf("push with the key back: %v\n%s", err, out)
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != signed {
		t.Errorf("main = %q, want %s", got, signed)
	}
}
