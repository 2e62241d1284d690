package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/hubsec/trustlayer/shared/githook"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/token"
)

// Invariant 11 (docs/invariants.md): no byte judged unsafe is served by
// any path. A push that adds a regular (non-LFS) file the engines judge
// infected (ClamAV, the blocklist) or dangerous (pickle imports,
// model-format findings) is refused, by the rule that gates downloads
// (scan.Verdict.Status), so such a file never enters git and git clone
// cannot deliver it. The commit API pushes its commits through this git
// server, so this one check holds for both paths. The hook reads the new
// blobs and asks the scanner function synchronously (a signed
// scan.PushCheckRequest); the engines run there, never here
// (infra/layout_test.go).
//
// Every regular file a push adds is judged: one over scan.MaxRegularFile
// (10 MiB) is refused with the Hub's advice to use Git LFS, where its
// object is scanned in the bucket before anyone may download it.

// modelExts are the extensions that name model files, for which the
// refusal suggests Git LFS.
var modelExts = map[string]bool{".pt": true, ".pth": true, ".bin": true, ".pkl": true, ".pickle": true, ".ckpt": true,
	".joblib": true, ".npy": true, ".npz": true, ".h5": true, ".keras": true, ".onnx": true, ".safetensors": true,
	".gguf": true, ".pb": true, ".msgpack": true, ".model": true, ".dill": true, ".pdparams": true, ".mar": true}

// staging is one push check's files staged in the bucket.
type staging struct {
	s      stager
	bucket string
	run    string
	keys   []string
}

// stager puts and deletes staged files (S3; stager.go and slim.go).
type stager interface {
	put(ctx context.Context, bucket, key string, data []byte) error
	del(ctx context.Context, bucket string, keys []string)
}

func (st *staging) put(ctx context.Context, id string, data []byte) (string, error) {
	key := scan.PushCheckPrefix + st.run + "/" + id
	if err := st.s.put(ctx, st.bucket, key, data); err != nil {
		return "", fmt.Errorf("the file could not be staged for its scan, so the push cannot be checked: %v", err)
	}
	st.keys = append(st.keys, key)
	return key, nil
}

// clean deletes the staged files; what it cannot delete the bucket's
// lifecycle rule expires.
func (st *staging) clean(ctx context.Context) {
	if len(st.keys) > 0 {
		st.s.del(ctx, st.bucket, st.keys)
	}
}

// unsafeFiles judges the push's new regular files (not LFS pointers) and
// returns the refusal lines (nil: none).
func unsafeFiles(ctx context.Context, cfg map[string]string, repo githook.Repo, blobs []blobRef) ([]string, error) {
	paths := map[string]string{}
	var ids []string
	for _, b := range blobs {
		if !b.tree {
			paths[b.id] = b.path
			ids = append(ids, b.id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	c, err := newCommits(ctx, cfg, "trustlayer.scannerfunction")
	if err != nil {
		return nil, err
	}
	var st *staging
	defer func() {
		if st != nil {
			st.clean(context.WithoutCancel(ctx))
		}
	}()
	name := repo.Type + "/" + repo.Namespace + "/" + repo.Name
	var refused []scan.PushVerdict
	var big []string
	var batch []scan.PushFile
	inline := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var resp scan.PushCheckResponse
		if err := c.call(ctx, scan.PushCheckPath, scan.PushCheckRequest{Repo: name, Files: batch}, &resp); err != nil {
			return err
		}
		if len(resp.Verdicts) != len(batch) {
			return fmt.Errorf("the scanner answered %d verdicts for %d files, so the push cannot be checked", len(resp.Verdicts), len(batch))
		}
		for _, v := range resp.Verdicts {
			if v.Status != scan.StatusOK {
				refused = append(refused, v)
			}
		}
		batch, inline = nil, 0
		return nil
	}
	err = catFileEach(ids, func(id string, n int64, r io.Reader) error {
		if n > scan.MaxRegularFile {
			big = append(big, fmt.Sprintf("  %s (%.1f MiB)", token.Redact(paths[id]), float64(n)/(1<<20)))
			return discard(r)
		}
		if big != nil {
			return discard(r) // refused anyway: judge nothing more
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if isPointer(data) {
			return nil // an LFS pointer: its object is scanned in the bucket
		}
		f := scan.PushFile{Path: paths[id], Size: n}
		if n > scan.PushCheckInline {
			if st == nil {
				bucket := cfg["trustlayer.bucket"]
				if bucket == "" {
					return fmt.Errorf("the git server is not configured: set trustlayer.bucket")
				}
				s, err := newStager(ctx, cfg)
				if err != nil {
					return err
				}
				st = &staging{s: s, bucket: bucket, run: randomID()}
			}
			if f.Key, err = st.put(ctx, id, data); err != nil {
				return err
			}
		} else {
			if inline+len(data) > scan.PushCheckInline {
				if err := flush(); err != nil {
					return err
				}
			}
			f.Data = data
			inline += len(data)
		}
		batch = append(batch, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if big != nil {
		return append(append([]string{
			fmt.Sprintf("Your push was rejected because it contains files larger than %d MiB:", scan.MaxRegularFile>>20)}, big...),
			"Please use Git LFS to store large files (git lfs track \"*.ext\", then git add and commit them again):",
			"LFS objects are scanned in the bucket and served only once judged safe."), nil
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return refusalLines(refused), nil
}

// refusalLines explains the refused verdicts (nil when none).
func refusalLines(refused []scan.PushVerdict) []string {
	var unsafe, unjudged []string
	var track []string
	for _, v := range refused {
		p := token.Redact(v.Path)
		if v.Status == scan.StatusInfected {
			unsafe = append(unsafe, fmt.Sprintf("  %s: %s", p, v.Reason))
			if ext := strings.ToLower(path.Ext(v.Path)); modelExts[ext] && !slices.Contains(track, `"*`+ext+`"`) {
				track = append(track, `"*`+ext+`"`)
			}
		} else {
			unjudged = append(unjudged, fmt.Sprintf("  %s: %s", p, v.Reason))
		}
	}
	var lines []string
	if unsafe != nil {
		lines = append(lines, fmt.Sprintf("Your push was rejected: %d file(s) were judged unsafe, and no one may download a file judged unsafe:", len(unsafe)))
		lines = append(lines, unsafe...)
		lines = append(lines, "Remove these files from the commits you push (git rm --cached <file>, then amend or rebase) and push again.")
		if track != nil {
			lines = append(lines, "Model files belong in Git LFS (git lfs track "+strings.Join(track, " ")+"): there too they are scanned, and served only once judged safe.")
		}
	}
	if unjudged != nil {
		lines = append(lines, fmt.Sprintf("Your push was rejected: %d file(s) could not be judged, and a file enters git only once judged safe:", len(unjudged)))
		lines = append(lines, unjudged...)
		lines = append(lines, "Push again in a moment if the reason is an outage. A file that cannot be judged is never served, so it does not enter git.")
	}
	return lines
}

// isPointer reports whether b is exactly a git-lfs pointer as git-lfs
// writes it (version, oid, size: nothing else), so no other content
// passes unjudged under a pointer's first line.
func isPointer(b []byte) bool {
	if len(b) > lfsPointerMax {
		return false
	}
	p := parsePointer(b)
	return p != nil && string(b) == fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", p.OID, p.Size)
}

func discard(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
