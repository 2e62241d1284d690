package modelsig

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"

	"golang.org/x/crypto/blake2b"
	"lukechampine.com/blake3"
)

// File is one entry of a commit's tree.
type File struct {
	Path string
	Mode string // git mode: 100644, 100755, 120000 (symlink), 160000 (submodule)
	Size int64  // the file's bytes (the LFS object's, for an LFS file)
	// SHA256 is the hex SHA-256 of the git blob's bytes; for an LFS file
	// that is the pointer's, and LFS names the object.
	SHA256 string
	LFS    *LFSObject
}

// LFSObject is what an LFS pointer names. The LFS API stores an object
// only after checking its bytes hash to OID, so OID is its SHA-256.
type LFSObject struct {
	OID  string
	Size int64
}

// Opener streams a file's bytes (the git blob's, or the LFS object's) for
// the hashes the index does not already hold.
type Opener interface {
	Open(ctx context.Context, f File, off, n int64) (io.ReadCloser, error)
}

// Files counts and lists the tree's files against the manifest.
type Files struct {
	Signed     int      `json:"signed"`
	Verified   int      `json:"verified"`
	Mismatched []string `json:"mismatched"`
	Missing    []string `json:"missing"`
	Unsigned   []string `json:"unsigned"`
	Ignored    []string `json:"ignored"`
}

// OK is true when every signed file matches and nothing is unsigned.
func (f Files) OK() bool {
	return len(f.Mismatched) == 0 && len(f.Missing) == 0 && len(f.Unsigned) == 0
}

// FirstProblem says the first difference, for reasons and remote: lines.
func (f Files) FirstProblem() string {
	switch {
	case len(f.Mismatched) > 0:
		return fmt.Sprintf("%s does not match its signed digest", f.Mismatched[0])
	case len(f.Missing) > 0:
		return fmt.Sprintf("%s is signed but not in the commit", f.Missing[0])
	case len(f.Unsigned) > 0:
		return fmt.Sprintf("%s is in the commit but not signed", f.Unsigned[0])
	}
	return ""
}

// ignored reports whether p is excluded: the signature itself, the
// default exclusions at the top level, and the manifest's ignore_paths as
// exact relative paths or folders (§6.2.1).
func (m *Manifest) ignored(p string) bool {
	if p == BundlePath {
		return true
	}
	top, _, _ := strings.Cut(p, "/")
	for _, d := range DefaultExclusions {
		if top == d {
			return true
		}
	}
	for _, ip := range m.IgnorePaths {
		if p == ip || strings.HasPrefix(p, ip+"/") {
			return true
		}
	}
	return false
}

func newHash(alg string) hash.Hash {
	switch alg {
	case HashBLAKE2b:
		h, _ := blake2b.New512(nil)
		return h
	case HashBLAKE3:
		return blake3.New(32, nil)
	}
	return sha256.New()
}

// Check compares the files of a commit with the manifest (§8.4). A
// sha256 files manifest needs no byte read: a regular file's SHA-256 is in
// the index and an LFS file's is its pointer's oid. Other hashes and shards
// stream the bytes through open. An error is a failure to read, not a
// difference.
func Check(ctx context.Context, m *Manifest, tree []File, open Opener) (Files, error) {
	out := Files{Mismatched: []string{}, Missing: []string{}, Unsigned: []string{}, Ignored: []string{}}
	byPath := map[string]File{}
	for _, f := range tree {
		if m.ignored(f.Path) {
			if f.Path != BundlePath {
				out.Ignored = append(out.Ignored, f.Path)
			}
			continue
		}
		byPath[f.Path] = f
	}
	// The resources of each signed file, in order.
	signed := map[string][]Resource{}
	var names []string
	for _, r := range m.Resources {
		if _, ok := signed[r.File]; !ok {
			names = append(names, r.File)
		}
		signed[r.File] = append(signed[r.File], r)
	}
	sort.Strings(names)
	out.Signed = len(names)
	for _, name := range names {
		f, ok := byPath[name]
		if !ok {
			out.Missing = append(out.Missing, name)
			continue
		}
		match, err := checkFile(ctx, m, f, signed[name], open)
		if err != nil {
			return Files{}, fmt.Errorf("%s: %w", name, err)
		}
		if match {
			out.Verified++
		} else {
			out.Mismatched = append(out.Mismatched, name)
		}
	}
	for p := range byPath {
		if f := byPath[p]; m.Method == SerializationShards && f.Size == 0 && f.Mode != "120000" && f.Mode != "160000" {
			continue // an empty file has no shard to sign (§6.3.2)
		}
		if _, ok := signed[p]; !ok {
			out.Unsigned = append(out.Unsigned, p)
		}
	}
	sort.Strings(out.Unsigned)
	sort.Strings(out.Ignored)
	return out, nil
}

func checkFile(ctx context.Context, m *Manifest, f File, rs []Resource, open Opener) (bool, error) {
	if f.Mode == "120000" || f.Mode == "160000" {
		return false, nil // a symlink or a submodule has no bytes of its own to sign
	}
	if m.Method == SerializationFiles {
		want := rs[0].Digest
		if m.HashType == HashSHA256 {
			if f.LFS != nil {
				return strings.EqualFold(f.LFS.OID, want), nil
			}
			if f.SHA256 != "" {
				return strings.EqualFold(f.SHA256, want), nil
			}
		}
		got, err := hashRange(ctx, m.HashType, f, 0, -1, open)
		if err != nil {
			return false, err
		}
		return got == want, nil
	}
	// Shards: consecutive ranges of shard_size from 0 to the file's size;
	// an empty file has none (§6.3.2).
	size := f.Size
	rs = append([]Resource(nil), rs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start }) // names sort as text: "f:7:14" after "f:14:21"
	var at int64
	for _, r := range rs {
		if r.Start != at {
			return false, nil
		}
		at = r.End
	}
	if at != size || (size == 0) != (len(rs) == 0) {
		return false, nil
	}
	for _, r := range rs {
		if r.End-r.Start != m.ShardSize && r.End != size {
			return false, nil
		}
		got, err := hashRange(ctx, m.HashType, f, r.Start, r.End-r.Start, open)
		if err != nil {
			return false, err
		}
		if got != r.Digest {
			return false, nil
		}
	}
	return true, nil
}

func hashRange(ctx context.Context, alg string, f File, off, n int64, open Opener) (string, error) {
	if open == nil {
		return "", fmt.Errorf("no reader for %s bytes", alg)
	}
	rc, err := open.Open(ctx, f, off, n)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := newHash(alg)
	var copied int64
	if n >= 0 {
		copied, err = io.Copy(h, io.LimitReader(rc, n))
	} else {
		copied, err = io.Copy(h, rc)
	}
	if err != nil {
		return "", err
	}
	if n >= 0 && copied != n {
		return "", fmt.Errorf("read %d of %d bytes at %s", copied, n, itoa(off))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Covers says whether a verified signature covers path: the file was
// signed and matched (it is none of mismatched, missing, unsigned or
// ignored). A signature that is not verified covers nothing.
func (j Judged) Covers(path string) bool {
	if j.Status != Verified || j.Files == nil {
		return false
	}
	for _, l := range [][]string{j.Files.Mismatched, j.Files.Missing, j.Files.Unsigned, j.Files.Ignored} {
		for _, p := range l {
			if p == path {
				return false
			}
		}
	}
	return j.Files.Verified > 0
}
