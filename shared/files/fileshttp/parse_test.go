package fileshttp

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

func TestParseDownload(t *testing.T) {
	tests := []struct {
		path                 string
		ok                   bool
		typ                  access.RepoType
		ns, name, op, rev, p string
	}{
		{"/alice/m/resolve/main/config.json", true, access.RepoModel, "alice", "m", "resolve", "main", "config.json"},
		{"/datasets/alice/d/raw/v1.0/a/b/c.txt", true, access.RepoDataset, "alice", "d", "raw", "v1.0", "a/b/c.txt"},
		{"/spaces/alice/s/resolve/refs%2Fpr%2F1/app.py", true, access.RepoSpace, "alice", "s", "resolve", "refs/pr/1", "app.py"},
		{"/alice/m/resolve/main", false, "", "", "", "", "", ""},
		{"/alice/m/blob/main/x", false, "", "", "", "", "", ""},
		{"/alice/m/resolve/main/a//b", false, "", "", "", "", "", ""},
		{"/alice/m/resolve/main/%zz", false, "", "", "", "", "", ""},
		{"/api/models/alice/m", false, "", "", "", "", "", ""},
	}
	for _, tt := range tests {
		typ, ns, name, op, rev, p, ok := parseDownload(tt.path)
		if ok != tt.ok || typ != tt.typ || ns != tt.ns || name != tt.name || op != tt.op || rev != tt.rev || p != tt.p {
			t.Errorf("%s: got %v %q %q %q %q %q %q", tt.path, ok, typ, ns, name, op, rev, p)
		}
	}
}

func FuzzParseDownload(f *testing.F) {
	f.Add("/alice/m/resolve/main/config.json")
	f.Add("/datasets/a/b/raw/x%2Fy/z")
	f.Fuzz(func(t *testing.T, s string) {
		_, ns, name, op, rev, p, ok := parseDownload(s)
		if ok && (ns == "" || name == "" || rev == "" || p == "" || (op != "raw" && op != "resolve")) {
			t.Fatalf("%q: empty part accepted", s)
		}
	})
}

// TestDecodePathsInfo: the form huggingface_hub sends and the JSON
// huggingface.js sends read the same; a repeated expand, an unknown key,
// a text body are refused.
func TestDecodePathsInfo(t *testing.T) {
	tests := []struct {
		ct, body string
		paths    string
		expand   bool
		kind     apperr.Kind
		fails    bool
	}{
		{"application/x-www-form-urlencoded", "paths=a.txt&paths=dir%2Fb.bin&expand=True", "a.txt,dir/b.bin", true, 0, false},
		{"application/x-www-form-urlencoded; charset=utf-8", "paths=a.txt", "a.txt", false, 0, false},
		{"application/json", `{"paths":["a.txt","dir/b.bin"],"expand":true}`, "a.txt,dir/b.bin", true, 0, false},
		{"application/x-www-form-urlencoded", "paths=a&expand=true&expand=false", "", false, apperr.Invalid, true},
		{"application/x-www-form-urlencoded", "paths=a&other=1", "", false, apperr.Invalid, true},
		{"application/x-www-form-urlencoded", "paths=a&expand=maybe", "", false, apperr.Invalid, true},
		{"application/json", `{"paths":["a"],"paths":["b"]}`, "", false, apperr.Invalid, true},
		{"text/plain", `{"paths":["a"]}`, "", false, apperr.MediaType, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/api/models/a/b/paths-info/main", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", tt.ct)
		in, err := decodePathsInfo(r)
		if tt.fails {
			if err == nil || apperr.KindOf(err) != tt.kind {
				t.Errorf("%s %q: got %v, want kind %v", tt.ct, tt.body, err, tt.kind)
			}
			continue
		}
		if err != nil || strings.Join(in.Paths, ",") != tt.paths || in.Expand != tt.expand {
			t.Errorf("%s %q: got %+v %v", tt.ct, tt.body, in, err)
		}
	}
}

// FuzzDecodeCommit: any body is a commit or a 4xx, never a panic.
func FuzzDecodeCommit(f *testing.F) {
	f.Add([]byte(`{"key":"header","value":{"summary":"s","description":""}}` + "\n" + `{"key":"file","value":{"path":"a","content":"QQ==","encoding":"base64"}}`))
	f.Add([]byte(`{"key":"header","value":{"summary":"s","parentCommit":"x"}}` + "\n" + `{"key":"deletedFolder","value":{"path":"d"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/models/a/b/commit/main", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/x-ndjson")
		var in files.CommitInput
		if err := decodeCommit(r, &in); err != nil {
			if k := apperr.KindOf(err); k != apperr.Invalid && k != apperr.TooLarge {
				t.Fatalf("%q: error kind %v", body, k)
			}
		}
	})
}
