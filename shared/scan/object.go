package scan

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
)

// ObjectRef names one object version in the uploads bucket.
type ObjectRef struct {
	Bucket    string
	Key       string
	VersionID string // "" for an unversioned object (S3 says "null")
	ETag      string // without quotes
	Size      int64
}

// Version returns the version id as stored: "null" for an unversioned object.
func (o ObjectRef) Version() string {
	if o.VersionID == "" {
		return "null"
	}
	return o.VersionID
}

// KeyPrefix starts every LFS object key.
const KeyPrefix = "lfs/"

// ObjectKey returns the key of an LFS object of a repository:
// lfs/<type>/<namespace>/<name>/<oid[0:2]>/<oid[2:4]>/<oid>. The namespace
// and name are the repository's canonical spelling.
func ObjectKey(typ access.RepoType, ns, name, oid string) string {
	return KeyPrefix + string(typ) + "/" + ns + "/" + name + "/" + oid[0:2] + "/" + oid[2:4] + "/" + oid
}

// KeyParts is what an LFS object key says.
type KeyParts struct {
	Type      access.RepoType
	Namespace string
	Name      string
	OID       string // the claimed SHA-256, lower-case hex
}

// ParseObjectKey splits an LFS object key; ok is false for any other key.
func ParseObjectKey(key string) (KeyParts, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 7 || parts[0] != "lfs" {
		return KeyParts{}, false
	}
	typ := access.RepoType(parts[1])
	if typ != access.RepoModel && typ != access.RepoDataset && typ != access.RepoSpace {
		return KeyParts{}, false
	}
	oid := parts[6]
	if !ValidOID(oid) || parts[4] != oid[0:2] || parts[5] != oid[2:4] || parts[2] == "" || parts[3] == "" {
		return KeyParts{}, false
	}
	return KeyParts{Type: typ, Namespace: parts[2], Name: parts[3], OID: oid}, true
}

// ValidOID reports whether oid is a SHA-256 in lower-case hex, as git-lfs
// sends it.
func ValidOID(oid string) bool {
	if len(oid) != 64 || strings.ToLower(oid) != oid {
		return false
	}
	_, err := hex.DecodeString(oid)
	return err == nil
}

func (o ObjectRef) String() string {
	return fmt.Sprintf("s3://%s/%s@%s", o.Bucket, o.Key, o.Version())
}

// BlobKeyPrefix starts every key of a regular git blob copied from the git
// server for scanning.
const BlobKeyPrefix = "git/"

// BlobKey returns the key of a regular git blob of a repository, content
// addressed by the SHA-256 of its bytes and ending in the file's base name
// so that the scanner sees its real name and extension:
// git/<type>/<namespace>/<name>/<sha[0:2]>/<sha[2:4]>/<sha>/<base name>.
func BlobKey(typ access.RepoType, ns, name, sha, baseName string) string {
	return BlobKeyPrefix + string(typ) + "/" + ns + "/" + name + "/" + sha[0:2] + "/" + sha[2:4] + "/" + sha + "/" + baseName
}

// ParseBlobKey splits a git blob key; OID is the content's SHA-256.
func ParseBlobKey(key string) (KeyParts, bool) {
	parts := strings.SplitN(key, "/", 8)
	if len(parts) != 8 || parts[0]+"/" != BlobKeyPrefix || parts[7] == "" || strings.Contains(parts[7], "/") {
		return KeyParts{}, false
	}
	lfsKey := KeyPrefix + strings.Join(parts[1:7], "/")
	k, ok := ParseObjectKey(lfsKey)
	return k, ok
}

// ParseRepoKey splits an LFS or a git blob key.
func ParseRepoKey(key string) (KeyParts, bool) {
	if k, ok := ParseObjectKey(key); ok {
		return k, true
	}
	return ParseBlobKey(key)
}
