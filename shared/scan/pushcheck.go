package scan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The push check (invariant 11, docs/invariants.md): what the git
// server's pre-receive hook asks the scanner function, synchronously and
// signed with the hook key (githook.Sign), about the new regular files of
// a push, and its answer. The engines stay in the scanner
// (scanner.Scanner.CheckPush); this is the wire.

// PushCheckPath is the route the hook's signed event names.
const PushCheckPath = "/_git/push-check"

// MaxRegularFile is the largest regular (non-LFS) file a push may add:
// 10 MiB, the Hugging Face Hub's limit ("Your push was rejected because it
// contains files larger than 10 MiB. Please use Git LFS"). Every regular
// file a push may add is therefore judged before it enters git.
const MaxRegularFile = 10 << 20

// PushCheckInline bounds the raw bytes that travel inside one request (a
// synchronous Lambda invoke carries at most 6 MB, and the bytes travel
// base64 in a JSON string). A larger file is staged in the uploads bucket
// under PushCheckPrefix and read from there by key.
const PushCheckInline = 3 << 20

// PushCheckPrefix holds the files staged for a push check: written and
// deleted by the git server, read by the scanner, never scanned as an
// upload (DecodeEvent skips it), expired by the bucket's lifecycle rule.
const PushCheckPrefix = "_pushcheck/"

// maxPushFiles bounds the files of one request.
const maxPushFiles = 100000

// PushCheckRequest is the hook's question.
type PushCheckRequest struct {
	Repo  string     `json:"repo"` // "model/alice/bert", for the log
	Files []PushFile `json:"files"`
}

// PushFile is one new regular file of a push: its bytes inline (Data,
// base64 in JSON) or staged in the bucket under Key.
type PushFile struct {
	Path string `json:"path"`
	Data []byte `json:"data,omitempty"`
	Key  string `json:"key,omitempty"`
	Size int64  `json:"size"`
}

// PushCheckResponse has one verdict per file, in order.
type PushCheckResponse struct {
	Verdicts []PushVerdict `json:"verdicts"`
}

// PushVerdict is the scanner's judgement of one file: infected (ClamAV,
// the blocklist, a dangerous pickle import or model-format finding: the
// verdict that refuses a download) refuses the push; so does error, an
// engine that could not judge the file (fail closed).
type PushVerdict struct {
	Path   string `json:"path"`
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// ParsePushCheck reads and checks a push check's body: each file carries
// its bytes or a staged key, never both, within the bounds above.
func ParsePushCheck(body []byte) (PushCheckRequest, error) {
	var req PushCheckRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return PushCheckRequest{}, fmt.Errorf("push check: %v", err)
	}
	if len(req.Files) > maxPushFiles {
		return PushCheckRequest{}, fmt.Errorf("push check: %d files, at most %d", len(req.Files), maxPushFiles)
	}
	inline := 0
	for i, f := range req.Files {
		switch {
		case f.Key != "" && len(f.Data) > 0:
			return PushCheckRequest{}, fmt.Errorf("push check: file %d has both bytes and a key", i)
		case f.Key != "" && (!strings.HasPrefix(f.Key, PushCheckPrefix) || strings.Contains(f.Key, "..") || len(f.Key) > maxKeyBytes):
			return PushCheckRequest{}, fmt.Errorf("push check: file %d: key outside %s", i, PushCheckPrefix)
		case f.Size < 0 || f.Size > MaxRegularFile:
			return PushCheckRequest{}, fmt.Errorf("push check: file %d: size %d, at most %d", i, f.Size, MaxRegularFile)
		case f.Key == "" && int64(len(f.Data)) != f.Size:
			return PushCheckRequest{}, fmt.Errorf("push check: file %d: %d bytes, size says %d", i, len(f.Data), f.Size)
		}
		inline += len(f.Data)
	}
	if inline > PushCheckInline {
		return PushCheckRequest{}, fmt.Errorf("push check: %d inline bytes, at most %d", inline, PushCheckInline)
	}
	return req, nil
}
