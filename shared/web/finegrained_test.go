package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

func postForm(v url.Values) *http.Request {
	r := httptest.NewRequest("POST", "/settings/tokens", strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		panic(err)
	}
	return r
}

// TestTokenForm: the New token form becomes the API's creation request;
// unused scope rows are dropped, half-filled ones go to the service (which
// names what is missing), and permissions on a read or write token are
// refused rather than ignored.
func TestTokenForm(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		want    identity.CreateTokenInput
		wantErr string
	}{
		{"read token", url.Values{"name": {"laptop"}, "role": {"read"}, "scope0_type": {"model"}, "scope1_type": {"model"}},
			identity.CreateTokenInput{Name: "laptop", Role: "read"}, ""},
		{"fine-grained, one repo and inference", url.Values{"name": {"ci"}, "role": {"fineGrained"}, "expires": {"2027-03-01"},
			"scope0_type": {"model"}, "scope0_name": {" alice/m "}, "scope0_perm": {"repo.content.read", "repo.write"},
			"scope1_type": {"org"}, "scope2_type": {"model"}, "inference": {"on"}},
			identity.CreateTokenInput{Name: "ci", Role: "fineGrained", FineGrained: &identity.FineGrainedInput{
				Global: []string{"inference.serverless.write"},
				Scoped: []identity.ScopeInput{{Entity: identity.EntityInput{Type: "model", Name: "alice/m"}, Permissions: []string{"repo.content.read", "repo.write"}}}}}, ""},
		{"a name without permissions reaches the service", url.Values{"name": {"ci"}, "role": {"fineGrained"}, "scope1_type": {"org"}, "scope1_name": {"acme"}},
			identity.CreateTokenInput{Name: "ci", Role: "fineGrained", FineGrained: &identity.FineGrainedInput{
				Scoped: []identity.ScopeInput{{Entity: identity.EntityInput{Type: "org", Name: "acme"}}}}}, ""},
		{"permissions on a write token", url.Values{"name": {"x"}, "role": {"write"}, "scope0_type": {"model"}, "scope0_perm": {"repo.write"}},
			identity.CreateTokenInput{}, "role fineGrained only"},
		{"bad date", url.Values{"name": {"x"}, "role": {"read"}, "expires": {"next year"}},
			identity.CreateTokenInput{}, "Expires must be a date"},
	}
	for _, tt := range tests {
		in, d, err := tokenForm(postForm(tt.form))
		if tt.wantErr != "" {
			if err == nil || apperr.KindOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err), tt.wantErr) {
				t.Errorf("%s: got error %v, want Invalid %q", tt.name, err, tt.wantErr)
			}
			if d.Name != tt.form.Get("name") || len(d.Scopes) != scopeRows {
				t.Errorf("%s: the refused form is not kept: %+v", tt.name, d)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if tt.form.Get("expires") != "" {
			if in.ExpiresAt == nil || in.ExpiresAt.Format("2006-01-02T15:04Z07:00") != tt.form.Get("expires")+"T00:00Z" {
				t.Errorf("%s: expiresAt %v", tt.name, in.ExpiresAt)
			}
			in.ExpiresAt = nil
		}
		if !reflect.DeepEqual(in, tt.want) {
			t.Errorf("%s:\n got  %+v %+v\n want %+v %+v", tt.name, in, in.FineGrained, tt.want, tt.want.FineGrained)
		}
	}
}
