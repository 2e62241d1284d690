package files_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// callCount counts the read calls (GetItem, Query, BatchGetItem).
type callCount struct {
	ddb.DB
	n atomic.Int64
}

func (c *callCount) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.n.Add(1)
	return c.DB.GetItem(ctx, in, o...)
}

func (c *callCount) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.n.Add(1)
	return c.DB.Query(ctx, in, o...)
}

func (c *callCount) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.n.Add(1)
	return c.DB.BatchGetItem(ctx, in, o...)
}

// TestFolderReadsGrowWithTheLevel: a commit of 20 folders of 25 files
// (one with a sub-folder) and two files at the root, each file's scan
// stored as the scanner stores it. The root's folder view counts per
// folder the infected file, the given-up error two levels down and the
// pending file; a second visit reads a handful of items (not 500), and
// so does a fresh instance once the settled folders' counts are cached;
// the pending folder's counts follow when its file is judged; the JSON
// list of one folder reads its verdicts in one batch.
func TestFolderReadsGrowWithTheLevel(t *testing.T) {
	tb := ddbtest.NewTable(t)
	cc := &callCount{DB: tb.DB}
	counted := ddb.Table{DB: cc, Name: tb.Name}
	ctx := context.Background()
	user := "fv" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "many", Owner: access.OwnerUser, OwnerID: "u1"}
	caller := access.Caller{Kind: access.KindUserToken, Role: access.TokenRead, UserID: "u1", Username: user}
	const bucket = "uploads"
	scans := scanddb.Store{Table: tb}
	newSvc := func() *files.Service {
		return &files.Service{Store: filesddb.Store{Table: counted}, Refs: gitrefddb.Store{Table: counted}, Repos: oneRepo{r},
			Results: scanddb.Store{Table: counted}, Scans: scanddb.Store{Table: counted}, Bucket: bucket}
	}

	// The trees: d00..d19 of 25 files; d09 also holds deep/ with 3.
	var trees []files.Tree
	paths := map[string]files.Node{}
	mkTree := func(dir string, nodes []files.Node) files.Node {
		id := fakeID(dir + fmt.Sprint(nodes))
		trees = append(trees, files.Tree{ID: id, Nodes: nodes})
		return files.Node{Name: dir[lastSlash(dir)+1:], Mode: files.ModeTree, ID: id}
	}
	fileNode := func(path string) files.Node {
		n := files.Node{Name: path[lastSlash(path)+1:], Mode: "100644", ID: fakeID(path), Size: 10, SHA256: fakeSHA(path)}
		paths[path] = n
		return n
	}
	var root []files.Node
	for d := 0; d < 20; d++ {
		dir := fmt.Sprintf("d%02d", d)
		var nodes []files.Node
		if d == 9 {
			deep := []files.Node{fileNode(dir + "/deep/a.bin"), fileNode(dir + "/deep/b.bin"), fileNode(dir + "/deep/c.bin")}
			nodes = append(nodes, mkTree(dir+"/deep", deep))
		}
		for f := 0; f < 25; f++ {
			nodes = append(nodes, fileNode(fmt.Sprintf("%s/f%02d.txt", dir, f)))
		}
		root = append(root, mkTree(dir, nodes))
	}
	root = append(root, fileNode("README.md"), fileNode("config.json"))
	rootNode := mkTree("", root)
	commit := fakeID("commit")
	svc := newSvc()
	if _, err := svc.Index(ctx, files.IndexInput{Pusher: user, Type: r.Type, Namespace: user, Name: r.Name, PushedAt: time.Now(),
		Refs: []files.RefTip{{Ref: "refs/heads/main", New: commit, Commit: commit}}, Commits: []files.CommitTree{{Commit: commit, Tree: rootNode.ID}}, Trees: trees}); err != nil {
		t.Fatal(err)
	}

	// Every file scanned ok, but: d05/f01 infected, d09/deep/b.bin an
	// error given up, d03/f00 still pending.
	now := time.Now().UTC()
	judge := func(path string, st scan.Status) {
		t.Helper()
		ref := scan.ObjectRef{Bucket: bucket, Key: files.ScanKey(r, files.NodeEntry(path, paths[path])), VersionID: "v1", ETag: "e"}
		run := "run-" + fakeID(path + string(st))[:8]
		if c, err := scans.Claim(ctx, ref, run, now, now.Add(time.Hour)); err != nil || !c.Won {
			t.Fatalf("claim %s: %v %+v", path, err, c)
		}
		if st == scan.StatusPending {
			return
		}
		res := scan.Result{Object: ref, Status: st, ScannedAt: now, Run: run, Reason: "judged " + string(st)}
		if err := scans.Complete(ctx, res); err != nil {
			t.Fatal(err)
		}
		if st == scan.StatusError {
			if err := scans.GiveUp(ctx, res); err != nil {
				t.Fatal(err)
			}
		}
	}
	special := map[string]scan.Status{"d05/f01.txt": scan.StatusInfected, "d09/deep/b.bin": scan.StatusError, "d03/f00.txt": scan.StatusPending}
	for p := range paths {
		st, ok := special[p]
		if !ok {
			st = scan.StatusOK
		}
		judge(p, st)
	}

	in := files.TreeInput{Caller: caller, Type: r.Type, Namespace: user, Name: r.Name, Revision: "main"}
	visit := func(svc *files.Service, dir string) (files.Folder, int64) {
		t.Helper()
		before := cc.n.Load()
		in := in
		in.Path = dir
		f, err := svc.Folder(ctx, in)
		if err != nil {
			t.Fatalf("folder %q: %v", dir, err)
		}
		return f, cc.n.Load() - before
	}
	check := func(f files.Folder, pendingD03 int) {
		t.Helper()
		if len(f.Dirs) != 20 || len(f.Files) != 2 || f.Files[0].Path != "README.md" || f.Files[1].Path != "config.json" {
			t.Fatalf("root: %d folders, %d files %v", len(f.Dirs), len(f.Files), f.Files)
		}
		for _, d := range f.Dirs {
			want := files.FolderCounts{Files: 25}
			switch d.Name {
			case "d03":
				want.Pending = pendingD03
			case "d05":
				want.Infected = 1
			case "d09":
				want.Files, want.Errors = 28, 1
			}
			d.Counts.At = time.Time{}
			if d.Counts != want {
				t.Errorf("%s: %+v, want %+v", d.Name, d.Counts, want)
			}
		}
		want := files.FolderCounts{Files: 505, Infected: 1, Pending: pendingD03, Errors: 1}
		if f.Counts.At = (time.Time{}); f.Counts != want {
			t.Errorf("root counts %+v, want %+v", f.Counts, want)
		}
	}
	f, first := visit(svc, "")
	check(f, 1)
	f, second := visit(svc, "")
	check(f, 1)
	f, fresh := visit(newSvc(), "")
	check(f, 1)
	t.Logf("root of 505 files in 21 folders: %d reads on the first visit, %d on the second, %d from a fresh instance", first, second, fresh)
	// Second visit: the ref, the level's verdicts, the pending folder's
	// cache miss, its verdicts. A fresh instance adds the mark and the
	// root's and d03's trees.
	if second > 6 {
		t.Errorf("second visit of the root read %d times, want at most 6", second)
	}
	if fresh > 10 {
		t.Errorf("a fresh instance's visit of the root read %d times, want at most 10", fresh)
	}
	if first <= fresh {
		t.Errorf("the first visit (%d reads) read no more than a cached one (%d): the counts are not cached", first, fresh)
	}

	judge2 := func(path string) {
		ref := scan.ObjectRef{Bucket: bucket, Key: files.ScanKey(r, files.NodeEntry(path, paths[path])), VersionID: "v1", ETag: "e"}
		run := "run-" + fakeID(path + "pending")[:8]
		if err := scans.Complete(ctx, scan.Result{Object: ref, Status: scan.StatusOK, ScannedAt: time.Now().UTC(), Run: run}); err != nil {
			t.Fatal(err)
		}
	}
	judge2("d03/f00.txt")
	f, _ = visit(svc, "")
	check(f, 0)

	// One folder, and the deep one; the level's rows carry their verdicts.
	f, reads := visit(newSvc(), "d09")
	if len(f.Dirs) != 1 || f.Dirs[0].Name != "deep" || f.Dirs[0].Counts.Errors != 1 || len(f.Files) != 25 || f.Counts.Files != 28 {
		t.Errorf("d09: %+v", f)
	}
	t.Logf("d09 from a fresh instance: %d reads", reads)
	f, _ = visit(svc, "d09/deep")
	if len(f.Files) != 3 || f.Files[1].Security.Status != scan.StatusError || f.Files[0].Security.Status != scan.StatusOK {
		t.Errorf("d09/deep: %+v", f.Files)
	}
	f, _ = visit(svc, "d05/f01.txt")
	if f.File == nil || f.File.Path != "d05/f01.txt" {
		t.Errorf("a file's path: %+v", f)
	}
	in.Path = "d05/nothing"
	if _, err := svc.Folder(ctx, in); apperr.KindOf(err) != apperr.NotExist {
		t.Errorf("missing path: %v", err)
	}

	// The JSON list of one folder (expand): its tree and one batch of
	// verdicts, the infected file among them.
	before := cc.n.Load()
	in.Path = "d05"
	in.Expand = true
	es, err := newSvc().Tree(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	reads = cc.n.Load() - before
	infected := 0
	for _, e := range es {
		if e.Security != nil && e.Security.Status == scan.StatusInfected {
			infected++
		}
	}
	if len(es) != 25 || infected != 1 {
		t.Errorf("tree d05: %d entries, %d infected", len(es), infected)
	}
	if reads > 6 {
		t.Errorf("tree d05 (25 files) from a fresh instance read %d times, want at most 6", reads)
	}
}

func lastSlash(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return i
		}
	}
	return -1
}
