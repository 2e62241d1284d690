package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

type tokenBody struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Scope struct {
		Repos []struct {
			Name string `json:"name"`
		} `json:"repos"`
	} `json:"scope"`
}

func TestDecodeRefusesAmbiguousBodies(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"duplicate key", `{"role":"read","role":"write"}`, `Duplicate key "role"`},
		{"case variant", `{"role":"read","ROLE":"write"}`, `Keys "role" and "ROLE" differ only in case`},
		{"kelvin sign folds like k", "{\"\u212a\":1,\"k\":2}", `differ only in case`},
		{"nested duplicate", `{"scope":{"repos":[{"name":"a"},{"name":"b","Name":"c"}]}}`, `in "scope.repos[1]"`},
		{"invalid utf-8", "{\"name\":\"a\xff\"}", "not valid UTF-8 (first bad byte at offset 10)"},
		{"trailing data", `{"name":"a"} {}`, "data after the JSON object"},
		{"unknown field", `{"nom":"a"}`, `Unknown field "nom"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			var v tokenBody
			err := Decode(r, &v, 0)
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err), tt.want) {
				t.Fatalf("got %v (kind %d), want a 400 containing %q", err, apperr.KindOf(err), tt.want)
			}
		})
	}
}

func TestDecodeContentType(t *testing.T) {
	tests := []struct {
		ct     string
		status int
	}{
		{"application/json", 0},
		{"application/json; charset=utf-8", 0},
		{"Application/JSON; charset=UTF-8", 0},
		{"", 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"application/json; charset=latin1", 415},
		{"application/json; x=y", 415},
		{"application/json;;", 415},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"a"}`))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var v tokenBody
			err := Decode(r, &v, 0)
			got := 0
			if err != nil {
				got = Status(apperr.KindOf(err))
			}
			if got != tt.status {
				t.Fatalf("got %d (%v), want %d", got, err, tt.status)
			}
		})
	}
}

func TestDecodeBodyOtherMediaTypes(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"operation":"download","ref":{"name":"main"}}`))
	r.Header.Set("Content-Type", "application/vnd.git-lfs+json; charset=utf-8")
	var v struct {
		Operation string `json:"operation"`
	}
	if err := DecodeBody(r, &v, Body{MediaTypes: []string{"application/vnd.git-lfs+json", MediaJSON}, AllowUnknownFields: true}); err != nil || v.Operation != "download" {
		t.Fatalf("got %v %+v", err, v)
	}
}

// FuzzDecodeBytes checks that the strict decoder accepts only what
// encoding/json accepts, decodes it to the same value, and refuses
// everything else with a 400 that has a message.
func FuzzDecodeBytes(f *testing.F) {
	for _, s := range []string{`{"name":"a","role":"read"}`, `{"role":"read","ROLE":"write"}`,
		`{"scope":{"repos":[{"name":"a"},{"name":"b"}]}}`, "{\"name\":\"\xff\"}", `[]`, `{"name":"a"}{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got tokenBody
		err := DecodeBytes(b, &got)
		if err != nil {
			if apperr.KindOf(err) != apperr.Invalid || apperr.Public(err) == "" {
				t.Fatalf("refusal %v is not a 400 with a message", err)
			}
			return
		}
		if !utf8.Valid(b) || !json.Valid(b) {
			t.Fatalf("accepted a body that is not valid UTF-8 JSON: %q", b)
		}
		var want tokenBody
		if err := json.Unmarshal(b, &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("strict decode %+v, encoding/json %+v (%v)", got, want, err)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			seen := map[string]bool{}
			for k := range m {
				if seen[strings.ToLower(k)] {
					t.Fatalf("accepted case-variant keys in %q", b)
				}
				seen[strings.ToLower(k)] = true
			}
		}
	})
}
