package scan_test

import (
	"os"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/scan"
)

// FuzzDecodeEvent feeds hostile event bodies (S3 notifications arrive from
// outside: any S3-compatible server's webhook can post here). DecodeEvent
// must never panic, and whatever it accepts must name a bucket and a
// non-folder key and survive a round trip through EncodeEvent.
func FuzzDecodeEvent(f *testing.F) {
	if raw, err := os.ReadFile("../../infra/events/s3-object-created.json"); err == nil {
		f.Add(raw)
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a+b%2Fc","size":3,"eTag":"e","versionId":"v"}}}]}`))
	f.Add([]byte(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"dir/"}}}]}`))
	f.Add([]byte(`{"Records":[]}`))
	f.Add([]byte(`{"Records":[{"s3":{"object":{"key":"%zz"}}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		refs, err := scan.DecodeEvent(raw)
		if err != nil {
			return
		}
		for _, r := range refs {
			if r.Bucket == "" || r.Key == "" || strings.HasSuffix(r.Key, "/") {
				t.Fatalf("accepted a ref without bucket or with a folder key: %+v", r)
			}
		}
		again, err := scan.DecodeEvent(scan.EncodeEvent(refs))
		if err != nil || len(again) != len(refs) {
			t.Fatalf("round trip: got %d refs, %v; want %d", len(again), err, len(refs))
		}
		for i := range refs {
			if again[i].Bucket != refs[i].Bucket || again[i].Key != refs[i].Key || again[i].VersionID != refs[i].VersionID {
				t.Fatalf("round trip changed ref %d: %+v -> %+v", i, refs[i], again[i])
			}
		}
	})
}
