package web

import (
	"context"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
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
	Imports []scan.PickleImport
	// Findings of the model-format readers (ONNX, Keras, SavedModel,
	// GGUF, TorchScript) with engine, severity and reason.
	Findings []scan.FormatFinding
}

// IndexTree lists files through files.Service.Tree: the repository's files
// by path at a revision, from the push-time file index, each with its
// scan result; listing with expand queues the files never scanned.
type IndexTree struct {
	Service *files.Service
	Cards   CardRenderer // renders README.md (Card); nil: Card answers 503
}

var _ Files = IndexTree{}

// Files implements Files: every file under path ("" for all; a file's
// own path for that file alone).
func (t IndexTree) Files(ctx context.Context, c access.Caller, typ access.RepoType, ns, name, rev, path string) ([]File, error) {
	if rev == "" {
		rev = "main"
	}
	es, err := t.Service.Tree(ctx, files.TreeInput{Caller: c, Type: typ, Namespace: ns, Name: name, Revision: rev, Path: path, Recursive: true, Expand: true})
	if err != nil {
		return nil, err
	}
	out := make([]File, 0, len(es))
	for _, e := range es {
		if e.Type != "file" {
			continue
		}
		out = append(out, fileOf(e))
	}
	return out, nil
}

// FolderView is one level of a folder.
type FolderView struct {
	// Commit is the revision's commit.
	Commit string
	// File is set when the path names a file rather than a folder.
	File   string
	Dirs   []files.FolderDir
	Files  []File
	Counts files.FolderCounts
}

// ResolveAhead implements Files.
func (t IndexTree) ResolveAhead(ctx context.Context, typ access.RepoType, ns, name, rev string) *files.Ahead {
	return t.Service.ResolveAhead(ctx, typ, ns, name, rev)
}

// Resolved implements Files.
func (t IndexTree) Resolved(ctx context.Context, a *files.Ahead, r repo.Repo) (string, error) {
	return t.Service.Resolved(ctx, a, r)
}

// FolderAt implements Files over files.Service.FolderAt.
func (t IndexTree) FolderAt(ctx context.Context, r repo.Repo, commit, rev, dir string) (FolderView, error) {
	f, err := t.Service.FolderAt(ctx, r, commit, rev, dir)
	if err != nil {
		return FolderView{}, err
	}
	if f.File != nil {
		return FolderView{File: f.File.Path}, nil
	}
	out := FolderView{Commit: f.Commit, Dirs: f.Dirs, Counts: f.Counts, Files: make([]File, 0, len(f.Files))}
	for _, e := range f.Files {
		out.Files = append(out.Files, fileOf(e))
	}
	return out, nil
}

// fileOf is a listed file with its verdict and findings.
func fileOf(e files.TreeEntry) File {
	f := File{Path: e.Path, Size: e.Size, OID: e.OID, Status: scan.StatusPending}
	if e.LFS != nil {
		f.OID = e.LFS.OID
	}
	if sec := e.Security; sec != nil {
		f.Status, f.Reason = sec.Status, sec.Reason
		if av := sec.AVScan; av != nil {
			f.Viruses = av.VirusNames
		}
		if pk := sec.PickleImportScan; pk != nil {
			f.Safety, f.Imports = pk.HighestSafetyLevel, pk.Imports
		}
	}
	if st := e.SecurityFileStatus; st != nil && st.ModelFormatScan != nil {
		f.Findings = st.ModelFormatScan.Findings
	}
	return f
}
