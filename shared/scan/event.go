package scan

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// s3Event is the part of an S3 event notification the scanner reads. AWS
// sends it to Lambda as {"Records": [...]}; versitygw posts the same shape
// to its webhook.
type s3Event struct {
	Records []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		S3          struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				Size      int64  `json:"size"`
				ETag      string `json:"eTag"`
				VersionID string `json:"versionId"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// ManifestPrefix holds the git server's push manifests for the file
// index (githook.ManifestPrefix): not uploads, never scanned.
const ManifestPrefix = "_index/"

// maxKeyBytes is S3's key length limit.
const maxKeyBytes = 1024

// DecodeEvent returns the objects an S3 event says were created. It accepts
// AWS's event names (ObjectCreated:Put) and versitygw's (s3:ObjectCreated:Put),
// URL-decodes keys as S3 encodes them ("+" is a space, %XX a byte), and
// skips folder placeholders (keys ending in "/"), push manifests
// (ManifestPrefix), scan reports (ReportPrefix), files staged for a push
// check (PushCheckPrefix) and other event types. An
// event with no Records (versitygw's test event, a schedule event) yields
// no objects and no error.
func DecodeEvent(raw []byte) ([]ObjectRef, error) {
	var ev s3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decode S3 event: %w", err)
	}
	var out []ObjectRef
	for i, rec := range ev.Records {
		name := strings.TrimPrefix(rec.EventName, "s3:")
		if !strings.HasPrefix(name, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			return nil, fmt.Errorf("record %d: key %q is not URL-encoded: %w", i, rec.S3.Object.Key, err)
		}
		if key == "" || len(key) > maxKeyBytes || !utf8.ValidString(key) {
			return nil, fmt.Errorf("record %d: invalid object key", i)
		}
		if strings.HasSuffix(key, "/") || strings.HasPrefix(key, ManifestPrefix) || strings.HasPrefix(key, ReportPrefix) ||
			strings.HasPrefix(key, PushCheckPrefix) {
			continue
		}
		if rec.S3.Bucket.Name == "" {
			return nil, fmt.Errorf("record %d: no bucket name", i)
		}
		if rec.S3.Object.Size < 0 {
			return nil, fmt.Errorf("record %d: negative size", i)
		}
		out = append(out, ObjectRef{
			Bucket: rec.S3.Bucket.Name, Key: key, Size: rec.S3.Object.Size,
			ETag: strings.Trim(rec.S3.Object.ETag, `"`), VersionID: versionOrEmpty(rec.S3.Object.VersionID),
		})
	}
	return out, nil
}

func versionOrEmpty(v string) string {
	if v == "null" {
		return ""
	}
	return v
}

// EncodeEvent builds the S3 event the scanner receives for refs, as AWS
// would send it (keys encoded the way S3 encodes them). The uploads
// function and the sweeper queue scans with it.
func EncodeEvent(refs []ObjectRef) []byte {
	type object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"eTag,omitempty"`
		VersionID string `json:"versionId,omitempty"`
	}
	type record struct {
		EventVersion string `json:"eventVersion"`
		EventSource  string `json:"eventSource"`
		EventName    string `json:"eventName"`
		S3           struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object object `json:"object"`
		} `json:"s3"`
	}
	var ev struct {
		Records []record `json:"Records"`
	}
	for _, r := range refs {
		var rec record
		rec.EventVersion, rec.EventSource, rec.EventName = "2.1", "aws:s3", "ObjectCreated:Put"
		rec.S3.Bucket.Name = r.Bucket
		rec.S3.Object = object{Key: url.QueryEscape(r.Key), Size: r.Size, ETag: r.ETag, VersionID: r.VersionID}
		ev.Records = append(ev.Records, rec)
	}
	b, _ := json.Marshal(ev)
	return b
}
