// Invariant 4 (docs/invariants.md): the service's signature is not the
// user's. Under requireSignedCommits a commit the service signed for a
// user (the commit API) reaches no ref unless the repository or its
// organization allows service-signed commits, whichever path carries it;
// it is shown as such everywhere.

package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestInvariantServiceSignatureIsNotTheUsers: with requireSignedCommits
// on, the commit API is refused (403 naming the reason) and main does not
// move; a service-signed commit made in another repository and pushed
// with git is refused too; with allowServiceSignedCommits on (repository,
// or organization) the commit API works, and the commit list, the record
// and the commits page say "Verified · committed by the service for
// <user>", never plain "Verified".
func TestInvariantServiceSignatureIsNotTheUsers(t *testing.T) {
	st := needStack(t)
	s := newSigner(t)
	name := s.createRepo(t, map[string]any{})
	path := "/" + s.u.Name + "/" + name + ".git"
	api := "/api/models/" + s.u.Name + "/" + name
	a := account{user: s.u.Name, token: s.token, repo: name}
	r := s.g.NewRepo("w", "sha1")
	base := s.commit(r, true, "signed base")
	if out, err := s.push(t, r, path, "main"); err != nil {
		t.Fatalf("push base: %v\n%s", err, out)
	}
	s.h.must(200, s.h.do("PUT", api+"/settings", s.u.bearer(), map[string]any{"requireSignedCommits": true}), "require signed")

	// The commit API under the policy, default off: refused.
	code, _, msg := st.commitAPI(t, a, "main", header("by the service", base), fileOp("x.txt", "x\n"))
	if code != 403 || !strings.Contains(msg, "signed_by_service") {
		t.Errorf("commit API under requireSignedCommits: %d %q, want 403 naming signed_by_service", code, msg)
	}
	if got := s.remoteHead(t, path, "refs/heads/main"); got != base {
		t.Errorf("main moved to %s", got)
	}

	// The same kind of commit carried by git push: made by the commit API
	// in a repository without the policy, fetched, pushed here.
	other := s.createRepo(t, map[string]any{})
	code, svc, msg := st.commitAPI(t, account{user: s.u.Name, token: s.token, repo: other}, "main", header("service commit elsewhere", ""), fileOp("y.txt", "y\n"))
	if code != 200 {
		t.Fatalf("commit API without the policy: %d %s", code, msg)
	}
	if out, err := gitRun(t, r.Dir, "fetch", "-q", s.remote(t, "/"+s.u.Name+"/"+other+".git"), "main"); err != nil {
		t.Fatalf("fetch: %v\n%s", err, strings.ReplaceAll(out, s.token, "hf_***"))
	}
	pushRefused(t, s, r, path, svc+":refs/heads/svc", svc, "verified (signed_by_service)", "refs/heads/svc", "")

	// Allowed on the repository: the commit API works, shown distinctly.
	s.h.must(200, s.h.do("PUT", api+"/settings", s.u.bearer(), map[string]any{"allowServiceSignedCommits": true}), "allow service-signed")
	code, made, msg := st.commitAPI(t, a, "main", header("by the service, allowed", base), fileOp("x.txt", "x\n"))
	if code != 200 {
		t.Fatalf("commit API with allowServiceSignedCommits: %d %s", code, msg)
	}
	want := "Verified · committed by the service for " + s.u.Name
	var list []struct {
		ID           string `json:"id"`
		Verification struct {
			Verified           bool   `json:"verified"`
			CommittedByService bool   `json:"committedByService"`
			CommittedFor       string `json:"committedFor"`
			Label              string `json:"label"`
		} `json:"verification"`
	}
	st.call(t, "GET", st.gateway+api+"/commits/main", "Bearer "+s.token, nil, &list)
	if len(list) < 2 || list[0].ID != made || !list[0].Verification.CommittedByService || list[0].Verification.CommittedFor != s.u.Name ||
		list[0].Verification.Label != want || list[1].Verification.Label != "Verified" || list[1].Verification.CommittedByService {
		t.Errorf("commit list: %+v, want %s first labelled %q, the user's own commit \"Verified\"", list, made, want)
	}
	rec := s.h.must(200, s.h.do("GET", api+"/commits/"+made+"/verification", "Bearer "+s.token, nil), "record").json(t)
	if rec["label"] != want || rec["committedByService"] != true {
		t.Errorf("record: label %v committedByService %v, want %q", rec["label"], rec["committedByService"], want)
	}
	req, _ := http.NewRequest("GET", st.gateway+"/"+s.u.Name+"/"+name+"/commits/main", nil)
	req.AddCookie(&http.Cookie{Name: "hf_session", Value: s.u.Session})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), want) {
		t.Errorf("commits page: %d, does not say %q:\n%.2000s", res.StatusCode, want, page)
	}

	// The organization's setting: required there, refused; allowed there, works.
	org := uniqueName("svcorg")
	s.h.must(201, s.h.do("POST", "/api/organizations", s.u.bearer(), map[string]any{"name": org}), "create org")
	s.h.must(200, s.h.do("PUT", "/api/organizations/"+org+"/settings", s.u.bearer(), map[string]any{"requireSignedCommits": true}), "org requires signed")
	oname := s.createRepo(t, map[string]any{"organization": org})
	oa := account{user: org, token: s.token, repo: oname}
	if code, _, msg := st.commitAPI(t, oa, "main", header("org, refused", ""), fileOp("z.txt", "z\n")); code != 403 {
		t.Errorf("commit API in an org requiring signed commits: %d %s, want 403", code, msg)
	}
	s.h.must(200, s.h.do("PUT", "/api/organizations/"+org+"/settings", s.u.bearer(), map[string]any{"allowServiceSignedCommits": true}), "org allows service-signed")
	if code, _, msg := st.commitAPI(t, oa, "main", header("org, allowed", ""), fileOp("z.txt", "z\n")); code != 200 {
		t.Errorf("commit API in an org allowing service-signed commits: %d %s, want 200", code, msg)
	}
}
