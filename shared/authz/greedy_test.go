package authz

import "testing"

// TestGreedyPathParam: the tree route takes a file path of any depth, an
// exact route wins over the greedy one, and the path parameter is not
// held to the rules of names.
func TestGreedyPathParam(t *testing.T) {
	tests := []struct {
		path, pattern, file string
	}{
		{"/api/models/alice/bert/tree/main", "/api/models/{namespace}/{name}/tree/{revision}", ""},
		{"/api/models/alice/bert/tree/main/config.json", "/api/models/{namespace}/{name}/tree/{revision}/{path+}", "config.json"},
		{"/api/datasets/alice/squad/tree/v1/data/train/part-0.parquet", "/api/datasets/{namespace}/{name}/tree/{revision}/{path+}", "data/train/part-0.parquet"},
	}
	for _, tt := range tests {
		r, params, ok := Match(Table, "GET", tt.path)
		if !ok || r.Pattern != tt.pattern || params["path"] != tt.file {
			t.Errorf("Match(%q) = %v %v %v, want %s with path %q", tt.path, r, params, ok, tt.pattern, tt.file)
		}
	}
	if _, _, ok := Match(Table, "GET", "/api/models/alice/bert/settings/x/y"); ok {
		t.Errorf("a greedy route matched a path it does not end")
	}
}

func TestSameRepeated(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Bearer abc", "Bearer abc"},
		{"Bearer abc,Bearer abc", "Bearer abc"},
		{"Basic eA==, Basic eA==", "Basic eA=="},
		{"Bearer abc,Bearer abd", "Bearer abc,Bearer abd"},
	}
	for _, tt := range tests {
		if got := sameRepeated(tt.in); got != tt.want {
			t.Errorf("sameRepeated(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
