package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRepoErrorsThroughGateway checks, as curl sees them through the local
// gateway and the authorizer, the headers huggingface_hub maps errors by,
// the 409 that still names the repository, and preupload's answer.
func TestRepoErrorsThroughGateway(t *testing.T) {
	h := newHub(t)
	u := h.signup("codes")
	other := h.signup("codes")
	tok, _ := h.token(u, "write")
	name := uniqueName("priv")
	body := map[string]any{"name": name, "type": "dataset", "private": true}
	h.must(200, h.do("POST", "/api/repos/create", "Bearer "+tok, body), "create")
	again := h.must(409, h.do("POST", "/api/repos/create", "Bearer "+tok, body), "create again").json(t)
	if !strings.HasSuffix(again["url"].(string), "/datasets/"+u.Name+"/"+name) {
		t.Errorf("409 url: got %v", again["url"])
	}
	p := "/api/datasets/" + u.Name + "/" + name
	tests := []struct {
		what, method, path, auth string
		status                   int
	}{
		{"info, anonymous", "GET", p, "", 401},
		{"info, another user", "GET", p, other.bearer(), 404},
		{"info by revision, another user", "GET", p + "/revision/main", other.bearer(), 404},
		{"auth-check, anonymous", "GET", p + "/auth-check", "", 401},
		{"auth-check, another user", "GET", p + "/auth-check", other.bearer(), 404},
		{"missing repo", "GET", "/api/datasets/" + u.Name + "/nothing-here", "Bearer " + tok, 404},
		{"preupload, another user", "POST", p + "/preupload/main", other.bearer(), 404},
	}
	for _, tt := range tests {
		r := h.do(tt.method, tt.path, tt.auth, map[string]any{"files": []any{}})
		if tt.method == "GET" {
			r = h.do(tt.method, tt.path, tt.auth, nil)
		}
		if r.Status != tt.status || r.Header.Get("X-Error-Code") != "RepoNotFound" || r.Header.Get("X-Error-Message") == "" {
			t.Errorf("%s: got %d X-Error-Code %q X-Error-Message %q, want %d RepoNotFound", tt.what, r.Status,
				r.Header.Get("X-Error-Code"), r.Header.Get("X-Error-Message"), tt.status)
		}
	}
	h.must(200, h.do("GET", p+"/auth-check", "Bearer "+tok, nil), "auth-check, owner")
	h.must(200, h.do("GET", p+"/revision/main", "Bearer "+tok, nil), "info by revision, owner")
	pre := h.must(200, h.do("POST", p+"/preupload/main", "Bearer "+tok, map[string]any{"files": []map[string]any{
		{"path": "README.md", "sample": b64("# hello"), "size": 7},
		{"path": "model.safetensors", "sample": b64("{}"), "size": 2},
		{"path": "data.txt", "sample": b64("a\x00b"), "size": 3},
	}}), "preupload")
	var v struct {
		Files []struct {
			Path, UploadMode string
			ShouldIgnore     *bool
		}
	}
	if err := json.Unmarshal(pre.Body, &v); err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, f := range v.Files {
		if f.ShouldIgnore == nil || *f.ShouldIgnore {
			t.Errorf("%s: shouldIgnore %v, want false", f.Path, f.ShouldIgnore)
		}
		got = append(got, f.Path+"="+f.UploadMode)
	}
	if strings.Join(got, " ") != "README.md=regular model.safetensors=lfs data.txt=lfs" {
		t.Errorf("preupload: got %v", got)
	}
	h.must(200, h.do("PUT", p+"/settings", "Bearer "+tok, map[string]any{"visibility": "public"}), "settings visibility")
	h.must(200, h.do("GET", p, "", nil), "anonymous info of the now public dataset")
}
