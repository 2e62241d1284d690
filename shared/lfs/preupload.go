package lfs

import (
	"bytes"
	"context"
	"encoding/base64"
	"path"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// LFSThreshold is the size from which a file goes to LFS whatever its
// name: 10 MB, as on the Hub.
const LFSThreshold = 10 * 1000 * 1000

// MaxPreuploadFiles bounds the files of one preupload request
// (huggingface_hub sends them 256 at a time).
const MaxPreuploadFiles = 1000

// lfsPatterns are the patterns of the Hub's default .gitattributes for a
// new repository: files matching them are stored in LFS. Patterns without a
// slash match the file's base name, as in .gitattributes.
var lfsPatterns = []string{
	"*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
	"*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
	"*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "*.tar.*", "*.tar", "*.tflite",
	"*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*",
	// Datasets' defaults add media and more archives.
	"*.lz4", "*.mds", "*.mp3", "*.ogg", "*.wav", "*.jpg", "*.jpeg", "*.png", "*.webp", "*.gif",
}

// PreuploadFile is one file of a preupload request.
type PreuploadFile struct {
	Path   string `json:"path"`
	Sample string `json:"sample"` // base64 of the first 512 bytes
	Size   int64  `json:"size"`
}

// PreuploadAnswer is one file of the answer.
type PreuploadAnswer struct {
	Path         string `json:"path"`
	UploadMode   string `json:"uploadMode"` // "lfs" or "regular"
	ShouldIgnore bool   `json:"shouldIgnore"`
}

// PreuploadInput is a preupload call.
type PreuploadInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Revision  string
	Files     []PreuploadFile
}

// Preupload tells the client, per file, whether to upload it through LFS
// (over 10 MB, binary, or named like a model file) or inline in the commit.
// It needs repo.write: only a writer may learn how its uploads will go.
func (s *Service) Preupload(ctx context.Context, in PreuploadInput) ([]PreuploadAnswer, error) {
	if len(in.Files) > MaxPreuploadFiles {
		return nil, apperr.E(apperr.TooLarge, "at most %d files per preupload request", MaxPreuploadFiles)
	}
	if _, err := s.authorize(ctx, in.Caller, access.RepoWrite, in.Type, in.Namespace, in.Name); err != nil {
		return nil, err
	}
	out := make([]PreuploadAnswer, 0, len(in.Files))
	for i, f := range in.Files {
		mode, err := UploadMode(f)
		if err != nil {
			return nil, apperr.E(apperr.Invalid, "files[%d]: %s", i, apperr.Public(err))
		}
		out = append(out, PreuploadAnswer{Path: f.Path, UploadMode: mode})
	}
	return out, nil
}

// UploadMode decides "lfs" or "regular" for one file.
func UploadMode(f PreuploadFile) (string, error) {
	if err := CheckPath(f.Path); err != nil {
		return "", err
	}
	if f.Size < 0 {
		return "", apperr.E(apperr.Invalid, "size must not be negative")
	}
	sample, err := base64.StdEncoding.DecodeString(f.Sample)
	if err != nil {
		return "", apperr.E(apperr.Invalid, "sample must be base64")
	}
	if len(sample) > 512 {
		return "", apperr.E(apperr.Invalid, "sample must hold at most the first 512 bytes")
	}
	if f.Size >= LFSThreshold || bytes.IndexByte(sample, 0) >= 0 || lfsByName(f.Path) {
		return "lfs", nil
	}
	return "regular", nil
}

func lfsByName(p string) bool {
	if strings.HasPrefix(p, "saved_model/") { // saved_model/**/* is anchored at the root

		return true
	}
	base := path.Base(p)
	for _, pat := range lfsPatterns {
		if ok, _ := path.Match(pat, base); ok {
			return true
		}
	}
	return false
}

// CheckPath validates a file path in a repository as git would store it:
// relative, slash-separated, no empty, "." or ".." segment, no NUL, not
// inside .git.
func CheckPath(p string) error {
	if p == "" || len(p) > 4096 {
		return apperr.E(apperr.Invalid, "path must be 1 to 4096 bytes")
	}
	if strings.ContainsRune(p, 0) || strings.Contains(p, "\\") {
		return apperr.E(apperr.Invalid, "path must not contain NUL or backslash")
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "", seg == ".", seg == "..":
			return apperr.E(apperr.Invalid, "path %q has an empty, . or .. segment", p)
		case strings.EqualFold(seg, ".git"):
			return apperr.E(apperr.Invalid, "path %q is inside .git", p)
		}
	}
	return nil
}
