package files_test

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
)

// countingDB counts the items written through it.
type countingDB struct {
	ddb.DB
	items atomic.Int64
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.items.Add(1)
	return c.DB.PutItem(ctx, in, o...)
}

func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.items.Add(1)
	return c.DB.UpdateItem(ctx, in, o...)
}

func (c *countingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.items.Add(int64(len(in.TransactItems)))
	return c.DB.TransactWriteItems(ctx, in, o...)
}

func (c *countingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for _, rs := range in.RequestItems {
		c.items.Add(int64(len(rs)))
	}
	return c.DB.BatchWriteItem(ctx, in, o...)
}

func fakeID(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func fakeSHA(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// bigTree is a push of 100 folders of 500 files; changed names one file
// whose content differs. It returns every tree and the root's id.
func bigTree(changed string) ([]files.Tree, string) {
	var trees []files.Tree
	var root []files.Node
	for d := range 100 {
		dir := fmt.Sprintf("d%03d", d)
		var nodes []files.Node
		for f := range 500 {
			p := fmt.Sprintf("%s/f%03d.txt", dir, f)
			content := fmt.Sprintf("file %d\n", f)
			if f == 0 {
				content = "folder " + dir + "\n" // every folder its own tree
			}
			if p == changed {
				content = "changed\n"
			}
			nodes = append(nodes, files.Node{Name: fmt.Sprintf("f%03d.txt", f), Mode: "100644", ID: fakeID(content), Size: int64(len(content)), SHA256: fakeSHA(content)})
		}
		id := fakeID(fmt.Sprint(nodes))
		trees = append(trees, files.Tree{ID: id, Nodes: nodes})
		root = append(root, files.Node{Name: dir, Mode: files.ModeTree, ID: id})
	}
	rootID := fakeID(fmt.Sprint(root))
	return append(trees, files.Tree{ID: rootID, Nodes: root}), rootID
}

// TestIndexWritesWhatChanged: indexing a 50,000-file push writes one item
// per folder (counted at the store's DynamoDB client); a push changing
// one file writes 3 (its folder, the root, the commit's mark), whatever
// the size of the repository; both list completely, the second with the
// new blob; a manifest delivered twice writes nothing more.
func TestIndexWritesWhatChanged(t *testing.T) {
	tb := ddbtest.NewTable(t)
	ctx := context.Background()
	counting := &countingDB{DB: tb.DB}
	user := "ix" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "big", Owner: access.OwnerUser, OwnerID: "u1"}
	caller := access.Caller{Kind: access.KindUserToken, Role: access.TokenRead, UserID: "u1", Username: user}
	svc := &files.Service{Store: filesddb.Store{Table: ddb.Table{DB: counting, Name: tb.Name}}, Refs: gitrefddb.Store{Table: tb}, Repos: oneRepo{r}}
	push := func(commit, changed string) int64 {
		t.Helper()
		trees, root := bigTree(changed)
		before := counting.items.Load()
		_, err := svc.Index(ctx, files.IndexInput{Pusher: user, Type: r.Type, Namespace: user, Name: "big", PushedAt: time.Now(),
			Refs:    []files.RefTip{{Ref: "refs/heads/main", New: commit, Commit: commit}},
			Commits: []files.CommitTree{{Commit: commit, Tree: root}}, Trees: trees})
		if err != nil {
			t.Fatal(err)
		}
		return counting.items.Load() - before
	}
	c1, c2 := fakeID("c1"), fakeID("c2")
	if n := push(c1, ""); n != 102 {
		t.Errorf("first push: %d index items written, want 102 (100 folders, the root, the mark)", n)
	}
	if n := push(c2, "d042/f007.txt"); n != 3 {
		t.Errorf("one file changed: %d index items written, want 3", n)
	}
	if n := push(c2, "d042/f007.txt"); n != 0 {
		t.Errorf("the same manifest again: %d index items written, want 0", n)
	}
	for _, rev := range []string{c1, "main"} {
		var all []files.TreeEntry
		cursor := ""
		for {
			p, err := svc.TreePage(ctx, files.TreeInput{Caller: caller, Type: r.Type, Namespace: user, Name: "big", Revision: rev, Recursive: true, Limit: 1000, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, p.Entries...)
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		seen := map[string]string{}
		for _, e := range all {
			seen[e.Path] = e.OID
		}
		want := fakeID("file 7\n")
		if rev == "main" {
			want = fakeID("changed\n")
		}
		if len(all) != 50000 || len(seen) != 50000 || seen["d042/f007.txt"] != want || seen["d099/f499.txt"] != fakeID("file 499\n") {
			t.Errorf("%s: %d entries (%d paths), d042/f007.txt %s; want 50000 with %s", rev, len(all), len(seen), seen["d042/f007.txt"], want)
		}
	}
}
