package scan

import (
	"testing"
)

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		name     string
		event    string
		wantKeys []string
		wantVer  string
		wantETag string
	}{
		{"aws put", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"lfs/model/a/b/c.bin","size":3,"eTag":"abc","versionId":"v1"}}}]}`,
			[]string{"lfs/model/a/b/c.bin"}, "v1", "abc"},
		{"versitygw name", `{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","eTag":"\"q\""}}}]}`,
			[]string{"k"}, "", "q"},
		{"plus is space, percent escapes", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"my+file%2Bx%C3%A9.bin"}}}]}`,
			[]string{"my file+xé.bin"}, "", ""},
		{"folder skipped", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"dir%2F"}}}]}`, nil, "", ""},
		{"delete ignored", `{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`, nil, "", ""},
		{"test event", `{"Service":"Amazon S3","Event":"s3:TestEvent"}`, nil, "", ""},
		{"multipart and copy", `{"Records":[{"eventName":"ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"b"},"object":{"key":"a"}}},{"eventName":"ObjectCreated:Copy","s3":{"bucket":{"name":"b"},"object":{"key":"c","versionId":"null"}}}]}`,
			[]string{"a", "c"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs, err := DecodeEvent([]byte(tt.event))
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if len(refs) != len(tt.wantKeys) {
				t.Fatalf("got %d objects, want %d", len(refs), len(tt.wantKeys))
			}
			for i, r := range refs {
				if r.Key != tt.wantKeys[i] {
					t.Errorf("got key %q, want %q", r.Key, tt.wantKeys[i])
				}
			}
			if len(refs) > 0 && (refs[0].VersionID != tt.wantVer || refs[0].ETag != tt.wantETag) {
				t.Errorf("got version %q etag %q, want %q %q", refs[0].VersionID, refs[0].ETag, tt.wantVer, tt.wantETag)
			}
		})
	}
}

func TestDecodeEventRejects(t *testing.T) {
	for _, ev := range []string{
		`not json`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":""},"object":{"key":"k"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":""}}}]}`,
	} {
		if _, err := DecodeEvent([]byte(ev)); err == nil {
			t.Errorf("DecodeEvent(%s): got no error", ev)
		}
	}
}

func TestEncodeEventRoundTrip(t *testing.T) {
	in := []ObjectRef{{Bucket: "b", Key: "lfs/model/a b/c+d/é", VersionID: "v", ETag: "e", Size: 9}}
	out, err := DecodeEvent(EncodeEvent(in))
	if err != nil || len(out) != 1 || out[0] != in[0] {
		t.Fatalf("got %+v, %v; want %+v", out, err, in)
	}
}

func TestStatusDerivation(t *testing.T) {
	tests := []struct {
		name string
		v    Verdict
		want Status
	}{
		{"clean", Verdict{}, StatusOK},
		{"clamd found", Verdict{AVInfected: true}, StatusInfected},
		{"dangerous import", Verdict{Highest: 2}, StatusInfected},
		{"suspicious import is ok", Verdict{Highest: 1}, StatusOK},
		{"blocklisted", Verdict{Blocklisted: true}, StatusInfected},
		{"clamd down", Verdict{AVErr: "down"}, StatusError},
		{"clamd down but dangerous import", Verdict{AVErr: "down", Highest: 2}, StatusInfected},
		{"pickle incomplete", Verdict{PickleErr: "broken"}, StatusError},
		{"oid mismatch", Verdict{Mismatch: "x"}, StatusError},
	}
	for _, tt := range tests {
		if got, _ := tt.v.Status(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestParseObjectKey(t *testing.T) {
	oid := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	k := ObjectKey("model", "alice", "m", oid)
	p, ok := ParseObjectKey(k)
	if !ok || p.OID != oid || p.Namespace != "alice" || p.Name != "m" || p.Type != "model" {
		t.Fatalf("got %+v %v", p, ok)
	}
	for _, bad := range []string{"lfs/model/a/b/aa/f2/" + oid, "x/model/a/b/2c/f2/" + oid[:63], "lfs/tool/a/b/2c/f2/" + oid} {
		if _, ok := ParseObjectKey(bad); ok {
			t.Errorf("ParseObjectKey(%q) accepted", bad)
		}
	}
}
