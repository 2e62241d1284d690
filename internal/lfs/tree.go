package lfs

import (
	"context"

	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/scan"
)

// TreeEntry is one file of the file list, in the Hub's shape.
type TreeEntry struct {
	Type     string   `json:"type"` // "file"
	OID      string   `json:"oid"`
	Size     int64    `json:"size"`
	Path     string   `json:"path"`
	LFS      LFSInfo  `json:"lfs"`
	Security Security `json:"security"`
}

// LFSInfo is the entry's LFS pointer.
type LFSInfo struct {
	OID         string `json:"oid"`
	Size        int64  `json:"size"`
	PointerSize int    `json:"pointerSize"`
}

// Security is the Hub's per-file security block, plus our status and
// reason. avScan and pickleImportScan are null until a verdict exists.
type Security struct {
	RepositoryID     string            `json:"repositoryId"`
	BlobID           string            `json:"blobId"`
	Name             string            `json:"name"`
	Safe             bool              `json:"safe"`
	AVScan           *AVScan           `json:"avScan"`
	PickleImportScan *PickleImportScan `json:"pickleImportScan"`
	Status           scan.Status       `json:"status"`
	Reason           string            `json:"reason,omitempty"`
}

// AVScan is the ClamAV part of Security.
type AVScan struct {
	VirusFound bool     `json:"virusFound"`
	VirusNames []string `json:"virusNames"`
}

// PickleImportScan is the pickle part of Security.
type PickleImportScan struct {
	HighestSafetyLevel string       `json:"highestSafetyLevel"`
	Imports            []ImportJSON `json:"imports"`
}

// ImportJSON is one import.
type ImportJSON struct {
	Module string `json:"module"`
	Name   string `json:"name"`
	Safety string `json:"safety"`
}

// pointerSize is the size of a git-lfs pointer file for an object of size n.
func pointerSize(oid string, n int64) int {
	return len("version https://git-lfs.github.com/spec/v1\noid sha256:") + len(oid) + len("\nsize ") + len(itoa(n)) + 1
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// TreeInput is a file list call.
type TreeInput struct {
	Caller    access.Caller
	Type      access.RepoType
	Namespace string
	Name      string
	Revision  string // accepted and ignored: LFS files are listed per repository
}

// Tree lists the repository's LFS files with their scan status and queues
// a scan for every file without one.
func (s *Service) Tree(ctx context.Context, in TreeInput) ([]TreeEntry, error) {
	r, err := s.authorize(ctx, in.Caller, access.RepoRead, in.Type, in.Namespace, in.Name)
	if err != nil {
		return nil, err
	}
	files, err := s.Files.Files(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	out := make([]TreeEntry, 0, len(files))
	var missing []scan.ObjectRef
	now := s.now()
	for _, f := range files {
		if f.RepoID != r.ID {
			continue
		}
		res, ok, err := s.Scans.Result(ctx, s.Bucket, f.Key, f.VersionID)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, f.Ref(s.Bucket))
			res = scan.Result{Status: scan.StatusPending, Deadline: now.Add(s.Settings.Timeout + s.Settings.Grace)}
		}
		out = append(out, entry(r.ID, f, res))
	}
	if len(missing) > 0 {
		if _, err := scan.QueueMissing(ctx, s.Scans, s.Queue, s.Settings, missing, now); err != nil {
			// The list is still right (pending); the sweeper retries.
			s.Log.WarnContext(ctx, "queue scans", "repo", r.FullName(), "count", len(missing), "err", err)
		}
	}
	return out, nil
}

func entry(repoID string, f File, res scan.Result) TreeEntry {
	sec := Security{RepositoryID: repoID, BlobID: f.OID, Name: f.OID, Safe: res.Safe(), Status: res.Status, Reason: res.Reason}
	if res.Status.Final() {
		var names []string
		for _, n := range res.Signatures {
			if n != scan.EngineBlocklist {
				names = append(names, n)
			}
		}
		if res.Blocklisted {
			names = append(names, "SHA256-Blocklist")
		}
		sec.AVScan = &AVScan{VirusFound: len(names) > 0, VirusNames: names}
		if len(res.Imports) > 0 || res.PickleKind == "pickle" || res.PickleKind == "pytorch-zip" {
			p := &PickleImportScan{HighestSafetyLevel: res.Highest.String(), Imports: []ImportJSON{}}
			for _, i := range res.Imports {
				p.Imports = append(p.Imports, ImportJSON{Module: i.Module, Name: i.Name, Safety: i.Safety.String()})
			}
			sec.PickleImportScan = p
		}
	}
	return TreeEntry{Type: "file", OID: f.OID, Size: f.Size, Path: f.OID,
		LFS: LFSInfo{OID: f.OID, Size: f.Size, PointerSize: pointerSize(f.OID, f.Size)}, Security: sec}
}
