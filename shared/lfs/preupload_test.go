package lfs

import (
	"encoding/base64"
	"testing"
)

func TestUploadMode(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		path   string
		sample string
		size   int64
		want   string
	}{
		{"config.json", b64(`{"a":1}`), 7, "regular"},
		{"README.md", b64("# hi"), 4, "regular"},
		{"big.txt", b64("text"), LFSThreshold, "lfs"},
		{"almost.txt", b64("text"), LFSThreshold - 1, "regular"},
		{"data.txt", b64("ab\x00cd"), 5, "lfs"},
		{"model.safetensors", b64("{}"), 2, "lfs"},
		{"sub/dir/pytorch_model.bin", b64("x"), 1, "lfs"},
		{"x.tar.gz", b64("x"), 1, "lfs"},
		{"events.out.tfevents.1.host", b64("x"), 1, "lfs"},
		{"saved_model/variables/v.index", b64("x"), 1, "lfs"},
		{"other/saved_model/v.txt", b64("x"), 1, "regular"},
		{"tokenizer.model", b64("x"), 1, "lfs"},
	}
	for _, tt := range tests {
		got, err := UploadMode(PreuploadFile{Path: tt.path, Sample: tt.sample, Size: tt.size})
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q %v, want %q", tt.path, got, err, tt.want)
		}
	}
	for _, bad := range []PreuploadFile{
		{Path: "", Sample: ""}, {Path: "../x", Sample: ""}, {Path: "a//b", Sample: ""}, {Path: ".git/config", Sample: ""},
		{Path: "a", Sample: "!!"}, {Path: "a", Sample: "", Size: -1},
		{Path: "a", Sample: base64.StdEncoding.EncodeToString(make([]byte, 513))},
	} {
		if _, err := UploadMode(bad); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}
