package files

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
)

// ModeTree is git's mode of a folder entry.
const ModeTree = "040000"

// Node is one entry of a git tree: a folder (Mode ModeTree, ID its tree)
// or a file (ID its blob).
type Node struct {
	Name   string      `json:"n"`
	Mode   string      `json:"m"`
	ID     string      `json:"i"`
	Size   int64       `json:"s,omitempty"`
	SHA256 string      `json:"h,omitempty"`
	LFS    *LFSPointer `json:"l,omitempty"`
	// Key is an LFS file's key when it is not the one its tree's
	// KeyBase gives (an object uploaded under the repository's former
	// name): set by Index from the object's record, never from a manifest.
	Key string `json:"k,omitempty"`
	// KeyBase is the tree's (Tree.KeyBase), set when the tree is read.
	KeyBase string `json:"-"`
}

// IsTree reports whether n is a folder.
func (n Node) IsTree() bool { return n.Mode == ModeTree || n.Mode == "40000" }

// Tree is one git tree by its id. Trees are immutable: the index keeps
// each once per repository, and a commit is its root tree's id.
type Tree struct {
	ID    string
	Nodes []Node
	// KeyBase is the repository's name in the keys of the tree's files
	// when the tree was indexed (files.KeyBase), kept with the tree.
	KeyBase string
}

// TreeStore keeps the index by tree (filesddb.Store).
type TreeStore interface {
	// MissingTrees returns those of ids the repository has no complete
	// tree for.
	MissingTrees(ctx context.Context, repoID string, ids []string) ([]string, error)
	// PutTrees stores trees (a tree reads as present only once all of it
	// is written) and returns the items it wrote.
	PutTrees(ctx context.Context, repoID string, trees []Tree) (int, error)
	// MarkCommit records commit as indexed with its root tree, after
	// every tree under it is stored; writes is what indexing it wrote
	// (kept with the mark for operators and tests).
	MarkCommit(ctx context.Context, repoID, commit, tree string, writes int, at time.Time) error
}

// IndexedCommit is handed to each AfterIndex function: a commit whose
// files are now listed, and the repository.
type IndexedCommit struct {
	Repo   repo.Repo
	Commit string
	Tree   string
	Pusher string
	// Refs are the refs of the push that now point at Commit.
	Refs []string
	// ModelSig is the root model.sig's bytes, when the push sent them.
	ModelSig []byte
}

// AfterIndexFunc is per-commit work that runs in the asynchronous indexer
// once a pushed commit is indexed, before the refs move (model signature,
// card data...). An error leaves the manifest for the sweeper to deliver
// again, so it must be safe to run twice.
type AfterIndexFunc func(ctx context.Context, s *Service, c IndexedCommit) error

// IndexInput is a push's manifest (githook.Manifest) in the domain's
// terms.
type IndexInput struct {
	Pusher    string
	Type      access.RepoType
	Namespace string
	Name      string
	PushedAt  time.Time
	Refs      []RefTip
	Commits   []CommitTree
	Trees     []Tree
}

// RefTip is one ref update of a push, with the commit it now peels to
// (Commit "" when the ref was deleted or points at no commit).
type RefTip struct {
	Ref    string `json:"ref"`
	Old    string `json:"old"`
	New    string `json:"new"`
	Commit string `json:"commit"`
	// Seq numbers the update among the ref's updates on the git server
	// (gitref.Ref.Seq); 0 when the git server did not number it.
	Seq int64 `json:"seq,omitempty"`
}

// CommitTree is a pushed commit and its root tree, and its README.md
// when it has one (the model card).
type CommitTree struct {
	Commit, Tree string
	Readme       *ReadmeFile
	// ModelSig is the root model.sig's bytes, when the hook sent them.
	ModelSig []byte
}

// IndexResult says what Index did.
type IndexResult struct {
	Commits, Trees, IndexWrites, Refs int
	// StaleRefs counts ref updates not written because a newer update of
	// the ref was already stored.
	StaleRefs int
}

// MaxIndexTrees bounds the trees of one manifest.
const MaxIndexTrees = 200000

// Index stores the trees of a push that the repository lacks (unchanged
// subtrees are kept once, by id), marks each pushed commit indexed, runs
// the AfterIndex work, then moves the refs. It is idempotent: a manifest
// delivered twice writes nothing more.
func (s *Service) Index(ctx context.Context, in IndexInput) (IndexResult, error) {
	var out IndexResult
	if err := checkIndexInput(in); err != nil {
		return out, err
	}
	r, err := s.repo(ctx, in.Type, in.Namespace, in.Name)
	if err != nil {
		return out, err
	}
	ts, ok := s.Store.(TreeStore)
	if !ok {
		return out, errors.New("the file index store cannot keep trees")
	}
	byID := make(map[string]Tree, len(in.Trees))
	ids := make([]string, 0, len(in.Trees))
	for _, t := range in.Trees {
		if _, dup := byID[t.ID]; !dup {
			byID[t.ID] = t
			ids = append(ids, t.ID)
		}
	}
	var todo []CommitTree
	for _, c := range in.Commits {
		done, err := s.Store.CommitIndexed(ctx, r.ID, c.Commit)
		if err != nil {
			return out, err
		}
		if !done {
			if _, ok := byID[c.Tree]; !ok {
				return out, apperr.E(apperr.Invalid, "commit %s: its tree %s is not in the manifest", c.Commit, c.Tree)
			}
			todo = append(todo, c)
		}
	}
	writes := 0
	if len(todo) > 0 {
		missing, err := ts.MissingTrees(ctx, r.ID, ids)
		if err != nil {
			return out, err
		}
		put := make([]Tree, 0, len(missing))
		for _, id := range missing {
			t, err := s.keyed(ctx, r, in, byID[id])
			if err != nil {
				return out, err
			}
			put = append(put, t)
		}
		if writes, err = ts.PutTrees(ctx, r.ID, put); err != nil {
			return out, fmt.Errorf("store trees: %w", err)
		}
		out.Trees = len(put)
	}
	now := s.now()
	for _, c := range todo {
		// The card first: an indexed commit has its card.
		if c.Readme != nil && s.Cards != nil {
			card, err := s.buildCard(ctx, r.ID, c.Readme)
			if err != nil {
				return out, err
			}
			if err := s.Cards.PutCard(ctx, r.ID, c.Commit, card); err != nil {
				return out, fmt.Errorf("store the card of %s: %w", c.Commit, err)
			}
		}
		if err := ts.MarkCommit(ctx, r.ID, c.Commit, c.Tree, writes+1, now); err != nil {
			return out, err
		}
		out.Commits++
		out.IndexWrites += writes + 1
		writes = 0
	}
	for _, c := range in.Commits {
		ic := IndexedCommit{Repo: r, Commit: c.Commit, Tree: c.Tree, Pusher: in.Pusher, ModelSig: c.ModelSig}
		for _, t := range in.Refs {
			if t.Commit == c.Commit {
				ic.Refs = append(ic.Refs, t.Ref)
			}
		}
		for _, f := range s.AfterIndex {
			if err := f(ctx, s, ic); err != nil {
				return out, fmt.Errorf("after indexing %s: %w", c.Commit, err)
			}
		}
	}
	// The refs move only forward (invariant 8): an update older than the
	// one stored (a manifest delivered late, or twice) writes nothing.
	for _, t := range in.Refs {
		var err error
		if t.Commit == "" {
			err = s.Refs.DeleteRef(ctx, r.ID, t.Ref, t.Seq)
		} else {
			err = s.Refs.PutRef(ctx, r.ID, gitref.Ref{Name: t.Ref, Commit: t.Commit, UpdatedAt: in.PushedAt, UpdatedBy: in.Pusher, Seq: t.Seq})
		}
		if errors.Is(err, gitref.ErrStale) {
			out.StaleRefs++
			continue
		}
		if err != nil {
			return out, err
		}
		out.Refs++
	}
	return out, nil
}

// keyed fixes the uploads-bucket keys of t's files (invariant 12): its
// KeyBase is the name the push came under (the git server copied its
// blobs under it); an LFS file whose object was uploaded under another
// name (before a move) keeps its record's key.
func (s *Service) keyed(ctx context.Context, r repo.Repo, in IndexInput, t Tree) (Tree, error) {
	t.KeyBase = KeyBase(in.Type, in.Namespace, in.Name)
	nodes := make([]Node, len(t.Nodes))
	for i, n := range t.Nodes {
		n.Key, n.KeyBase = "", ""
		if n.LFS != nil && s.LFS != nil && !n.IsTree() {
			f, ok, err := s.LFS.File(ctx, r.ID, n.LFS.OID)
			if err != nil {
				return Tree{}, fmt.Errorf("read LFS object %s: %w", n.LFS.OID, err)
			}
			if ok && f.Key != "" && f.Key != keyIn(t.KeyBase, NodeEntry(n.Name, n)) {
				n.Key = f.Key
			}
		}
		nodes[i] = n
	}
	t.Nodes = nodes
	return t, nil
}

// checkIndexInput validates a manifest as git would have written it.
func checkIndexInput(in IndexInput) error {
	if in.Pusher == "" {
		return apperr.E(apperr.Invalid, "pusher is required")
	}
	if in.Type != access.RepoModel && in.Type != access.RepoDataset && in.Type != access.RepoSpace {
		return apperr.E(apperr.Invalid, "repo.type %q, want model, dataset or space", in.Type)
	}
	if len(in.Trees) > MaxIndexTrees {
		return apperr.E(apperr.TooLarge, "%d trees, limit %d per push", len(in.Trees), MaxIndexTrees)
	}
	for i, c := range in.Commits {
		if !validID(c.Commit) || !validID(c.Tree) {
			return apperr.E(apperr.Invalid, "commits[%d]: bad commit %q or tree %q", i, c.Commit, c.Tree)
		}
	}
	for i, t := range in.Refs {
		if !strings.HasPrefix(t.Ref, "refs/") || (t.Commit != "" && !validID(t.Commit)) || t.Seq < 0 {
			return apperr.E(apperr.Invalid, "refs[%d]: bad ref %q or commit %q", i, t.Ref, t.Commit)
		}
	}
	files := 0
	for i, t := range in.Trees {
		if !validID(t.ID) {
			return apperr.E(apperr.Invalid, "trees[%d]: %q is not an object id", i, t.ID)
		}
		for j, n := range t.Nodes {
			if err := checkNode(n); err != nil {
				return apperr.E(apperr.Invalid, "trees[%d].entries[%d]: %s", i, j, err)
			}
			files++
		}
	}
	if files > MaxFilesPerPush*20 {
		return apperr.E(apperr.TooLarge, "%d tree entries, limit %d per push", files, MaxFilesPerPush*20)
	}
	return nil
}

// checkNode validates one tree entry as git stores it.
func checkNode(n Node) error {
	if n.Name == "" || n.Name == "." || n.Name == ".." || len(n.Name) > MaxPathLen || strings.ContainsAny(n.Name, "/\x00\n") {
		return errors.New("bad name")
	}
	if !validID(n.ID) {
		return errors.New("bad object id")
	}
	if n.IsTree() {
		if n.Size != 0 || n.SHA256 != "" || n.LFS != nil {
			return errors.New("a folder has no size or content hash")
		}
		return nil
	}
	return checkEntry(Entry{Path: n.Name, Mode: n.Mode, Size: n.Size, BlobID: n.ID, SHA256: n.SHA256, LFS: n.LFS})
}

// NodeEntry is the file n at path.
func NodeEntry(path string, n Node) Entry {
	e := Entry{Path: path, Mode: n.Mode, Size: n.Size, BlobID: n.ID, SHA256: n.SHA256, LFS: n.LFS}
	switch {
	case n.Key != "":
		e.Key = n.Key
	case n.KeyBase != "":
		e.Key = keyIn(n.KeyBase, e)
	}
	return e
}

func (s *Service) repo(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error) {
	r, err := s.Repos.Get(ctx, typ, ns, name)
	if errors.Is(err, store.ErrNotFound) {
		return repo.Repo{}, apperr.E(apperr.NotExist, "Repository %s/%s not found", ns, name)
	}
	if err != nil {
		return repo.Repo{}, fmt.Errorf("read repository %s/%s: %w", ns, name, err)
	}
	return r, nil
}
