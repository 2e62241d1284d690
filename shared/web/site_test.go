package web

import (
	"bytes"
	"compress/gzip"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/authz"
	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/keyring"
	"github.com/hubsec/trustlayer/shared/modelcard"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/signature"
	"github.com/hubsec/trustlayer/shared/signingkey"
)

// TestEveryPageRenders executes each template with the data its handler
// gives it, so a template error shows here rather than as a 500.
func TestEveryPageRenders(t *testing.T) {
	s, err := newSite(Services{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	rp := repo.Repo{Namespace: "alice", Name: "m"}
	rec := commitverify.Record{Result: signature.Result{ObjectID: strings.Repeat("a", 40), Verified: true, VerifiedAt: time.Now()}}
	tests := map[string]any{
		"error":  nil,
		"join":   accountForm{},
		"verify": accountForm{Email: "a@example.com"},
		"login":  accountForm{},
		"emails": emailsData{Emails: []identity.Email{{Address: "a@example.com"}}},
		"audit":  nil,
		"tokens": tokensData{Tokens: []tokenRow{{Token: identity.Token{ID: "t1", Name: "laptop", Role: "read"}},
			{Token: identity.Token{ID: "t2", Name: "ci", Role: "fineGrained"}, Scopes: []string{"model alice/m: repo.content.read"}, Global: []string{"inference.serverless.write"}, Pending: []string{"acme"}, Expired: true}},
			Role: "fineGrained", Scopes: emptyScopes()},
		"reveal":    revealData{Secret: "hf_x", Action: "created", Token: identity.Token{Grant: &access.Grant{Pending: []string{"acme"}}}},
		"orgtokens": orgTokensData{Org: "acme", Policy: access.PolicyRequireApproval, Pending: []identity.Approval{{TokenID: "t2", Username: "bob", TokenName: "ci"}}},
		"manage":    manageData{Confirm: true},
		"gpg":       gpgData{Keys: []keyring.GPGKey{{ID: "k", Key: signingkey.GPGKey{KeyID: "AB", Emails: []signingkey.Email{{Email: "a@example.com"}}}}}},
		"ssh":       sshData{Keys: []keyring.SSHKey{{ID: "k"}}, AccountID: "u1"},
		"neworg":    orgForm{},
		"namespace": nsData{Name: "acme", Org: &org.Org{Name: "acme"}, Repos: []repo.Repo{rp}},
		"members":   membersData{Org: "acme", Members: []org.Member{{User: "alice", Role: "admin"}}, Admin: true, Me: "alice", LastRule: true},
		"repo": repoData{Repo: rp, Path: "/alice/m", Rev: "main", Dir: "a/b", Crumbs: breadcrumb("a/b"),
			Entries: []entry{{Name: "c", Path: "a/b/c", Dir: true, Files: 3, Infected: 1}, {Name: "x.bin", Path: "a/b/x.bin", File: File{Path: "a/b/x.bin", Status: "infected", Viruses: []string{"Eicar"}}, Findings: []string{"Eicar"}}},
			Card:    RepoCard{Found: true, HTML: template.HTML("<h1>hi</h1>")}, Evals: evalRows([]files.EvalResult{{Metric: modelcard.MetricValue{Type: "acc", Value: 0.5}, Source: files.Source{Commit: "abc", Verification: files.Verification{Status: "unsigned", Reason: "unsigned"}}}}, false)},
		"blob":         blobData{Repo: rp, Path: "/alice/m", File: File{Path: "a.bin", Status: "ok"}},
		"reposettings": settingsData{Repo: rp, Path: "/alice/m"},
		"commits":      commitsData{Repo: rp, Path: "/alice/m", Records: []commitverify.Record{rec}},
		"signature": signatureData{Repo: rp, Path: "/alice/m", Rev: "main", Signature: &modelsig.Judged{Commit: strings.Repeat("a", 40), Status: "mismatch", Reason: "x does not match",
			Signer: &modelsig.SignerOut{KeyFingerprint: "ab"}, Files: &modelsig.Files{Signed: 2, Verified: 1, Mismatched: []string{"x"}}},
			Files: []sigFile{{Path: "x", Result: "mismatch"}, {Path: "y", Result: "verified"}}},
		"modelsigners": signersData{Org: "acme", Namespace: "acme", Action: "/organizations/acme/settings/model-signers", Admin: true,
			Signers: []modelsig.Signer{{ID: "s1", Type: "key", KeyFingerprint: "ab"}, {ID: "s2", Type: "sigstore", Identity: "a@example.com", Issuer: "https://accounts.google.com"}}},
	}
	for page := range s.pages {
		if _, ok := tests[page]; !ok {
			t.Errorf("template %s is not rendered by this test", page)
		}
	}
	for page, data := range tests {
		w := httptest.NewRecorder()
		s.write(w, 200, page, view{Title: page, User: "alice", CSRF: "tok", Data: data})
		if w.Code != 200 || !strings.Contains(w.Body.String(), `<main>`) {
			t.Errorf("%s: %d %s", page, w.Code, w.Body.String())
		}
		if strings.Contains(w.Body.String(), "<script>") || strings.Contains(w.Body.String(), " style=") || strings.Contains(w.Body.String(), " on") && strings.Contains(w.Body.String(), "onclick") {
			t.Errorf("%s: inline script or style", page)
		}
	}
}

// TestCSRF: a form post needs the token keyed by its own cookie, and is
// refused from another origin or announced cross-site.
func TestCSRF(t *testing.T) {
	session := "hfs_" + strings.Repeat("a", 34)
	good := csrfToken(session)
	post := func(token string, hdr map[string]string) *http.Request {
		r := httptest.NewRequest("POST", "http://hub.example/settings/tokens", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: authz.SessionCookie, Value: session})
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		return r
	}
	tests := []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"right token", post(good, nil), true},
		{"right token, same origin", post(good, map[string]string{"Origin": "http://hub.example", "Sec-Fetch-Site": "same-origin"}), true},
		{"no token", post("", nil), false},
		{"wrong token", post(csrfToken("hfs_other"), nil), false},
		{"the session secret itself", post(session, nil), false},
		{"other origin", post(good, map[string]string{"Origin": "http://evil.example"}), false},
		{"cross-site fetch", post(good, map[string]string{"Sec-Fetch-Site": "cross-site"}), false},
	}
	for _, tt := range tests {
		if got := checkCSRF(tt.r); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	noCookie := httptest.NewRequest("POST", "http://hub.example/login", strings.NewReader("csrf="+csrfToken("")))
	noCookie.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if checkCSRF(noCookie) {
		t.Error("a post with no cookie at all passed")
	}
}

// TestRevealNamesTheConfiguredScheme: the token page says git over HTTP
// when the public URL is plain http (and warns), HTTPS otherwise.
func TestRevealNamesTheConfiguredScheme(t *testing.T) {
	for publicURL, want := range map[string]string{"http://localhost:8080": "git over HTTP ", "https://hub.example": "git over HTTPS.", "": "git over HTTPS."} {
		s, err := newSite(Services{}, Config{PublicURL: publicURL})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.write(w, 200, "reveal", view{Title: "t", User: "alice", CSRF: "tok",
			Data: revealData{Secret: "hf_x", Action: "created", GitScheme: s.cfg.gitScheme()}})
		body := w.Body.String()
		if !strings.Contains(body, want) {
			t.Errorf("%q: the page does not say %q:\n%s", publicURL, want, body)
		}
		if plain := strings.Contains(body, "unencrypted"); plain != strings.HasPrefix(publicURL, "http://") {
			t.Errorf("%q: warns of plain HTTP %v", publicURL, plain)
		}
	}
}

// TestPagesCompressedOnlyWithoutSecrets: a large page for an anonymous
// caller is sent gzip-compressed when the client accepts gzip, and
// decodes to the page; a signed-in user's page, a page holding the form
// token, a small page, and a client that refuses gzip get it plain.
func TestPagesCompressedOnlyWithoutSecrets(t *testing.T) {
	s, err := newSite(Services{}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []entry
	for i := 0; i < 200; i++ {
		entries = append(entries, entry{Name: "f", Path: "d/f", File: File{Path: "d/f", Status: "ok"}})
	}
	big := repoData{Repo: repo.Repo{Namespace: "alice", Name: "m"}, Path: "/alice/m", Rev: "main", Entries: entries}
	small := repoData{Repo: repo.Repo{Namespace: "alice", Name: "m"}, Path: "/alice/m", Rev: "main"}
	cases := []struct {
		name, page, accept, user string
		data                     any
		gzip                     bool
	}{
		{"anonymous, large", "repo", "gzip, deflate, br", "", big, true},
		{"anonymous, q=0.5", "repo", "br;q=1.0, gzip;q=0.5", "", big, true},
		{"signed in", "repo", "gzip", "alice", big, false},
		{"signed in, even without the token in the page", "repo", "gzip", "alice+notoken", big, false},
		{"the sign-up form's token", "join", "gzip", "", accountForm{Email: strings.Repeat("a", 5000) + "@example.com"}, false},
		{"small", "repo", "gzip", "", small, false},
		{"gzip refused", "repo", "gzip;q=0, identity", "", big, false},
		{"no header", "repo", "", "", big, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/alice/m", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Encoding", c.accept)
		}
		v := view{Title: c.page, User: c.user, CSRF: "secret-form-token", Data: c.data}
		if user, ok := strings.CutSuffix(c.user, "+notoken"); ok {
			v.User, v.CSRF = user, ""
		}
		plain := httptest.NewRecorder()
		s.write(plain, 200, c.page, v)
		if plain.Body.Len() < compressMin && c.name != "small" {
			t.Fatalf("%s: a page of %d bytes tests nothing", c.name, plain.Body.Len())
		}
		w := httptest.NewRecorder()
		s.writeTo(w, r, 200, c.page, v)
		got := w.Body.Bytes()
		if enc := w.Header().Get("Content-Encoding"); (enc == "gzip") != c.gzip {
			t.Errorf("%s: Content-Encoding %q, want gzip %v", c.name, enc, c.gzip)
			continue
		}
		if c.gzip {
			zr, err := gzip.NewReader(bytes.NewReader(got))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if w.Header().Get("Vary") != "Accept-Encoding" || w.Body.Len() >= plain.Body.Len()/2 {
				t.Errorf("%s: Vary %q, %d bytes compressed of %d", c.name, w.Header().Get("Vary"), w.Body.Len(), plain.Body.Len())
			}
		}
		if !bytes.Equal(got, plain.Body.Bytes()) {
			t.Errorf("%s: the page sent differs from the page rendered", c.name)
		}
	}
}
