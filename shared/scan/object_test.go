package scan

import (
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
)

func TestBlobKeyRoundTrip(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	key := BlobKey(access.RepoModel, "alice", "bert", sha, "model.pkl")
	got, ok := ParseBlobKey(key)
	if !ok || got.OID != sha || got.Namespace != "alice" || got.Name != "bert" || got.Type != access.RepoModel {
		t.Fatalf("ParseBlobKey(%q) = %+v, %v", key, got, ok)
	}
	if _, ok := ParseObjectKey(key); ok {
		t.Errorf("a blob key parsed as an LFS key")
	}
	for _, bad := range []string{key + "/x", strings.TrimSuffix(key, "model.pkl"), "git/model/a/b/ab/ab/" + sha[:10] + "/f"} {
		if _, ok := ParseBlobKey(bad); ok {
			t.Errorf("ParseBlobKey(%q) accepted", bad)
		}
	}
}
