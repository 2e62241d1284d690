package web

import (
	"context"

	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/lfs"
	"github.com/hubsec/trustlayer/internal/scan"
)

// File is one file of a repository page with its scan verdict.
type File struct {
	Path    string
	Size    int64
	OID     string
	Status  scan.Status
	Reason  string
	Viruses []string
	Safety  string // the pickle analyser's highest safety level, "" when none ran
	Imports []lfs.ImportJSON
}

// LFSTree lists files through lfs.Service.Tree: the repository's LFS
// objects, each with its scan result, scans queued for files without one.
type LFSTree struct{ Service *lfs.Service }

var _ Files = LFSTree{}

// Files implements Files.
func (t LFSTree) Files(ctx context.Context, c access.Caller, typ access.RepoType, ns, name, rev string) ([]File, error) {
	es, err := t.Service.Tree(ctx, lfs.TreeInput{Caller: c, Type: typ, Namespace: ns, Name: name, Revision: rev})
	if err != nil {
		return nil, err
	}
	out := make([]File, len(es))
	for i, e := range es {
		f := File{Path: e.Path, Size: e.Size, OID: e.LFS.OID, Status: e.Security.Status, Reason: e.Security.Reason}
		if av := e.Security.AVScan; av != nil {
			f.Viruses = av.VirusNames
		}
		if pk := e.Security.PickleImportScan; pk != nil {
			f.Safety, f.Imports = pk.HighestSafetyLevel, pk.Imports
		}
		out[i] = f
	}
	return out, nil
}
