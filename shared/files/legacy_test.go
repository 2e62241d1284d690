package files_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// TestLegacyVerdictsCountedAndSettled: verdicts recorded before settled
// items existed (no LATEST item) are counted by their verdict in the
// counts of the folder above them, not as pending, and the view writes
// their settled items, so the next view reads them in its batch; a file
// never scanned still counts as pending.
func TestLegacyVerdictsCountedAndSettled(t *testing.T) {
	tb := ddbtest.NewTable(t)
	ctx := context.Background()
	user := "lg" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "old", Owner: access.OwnerUser, OwnerID: "u1"}
	const bucket = "uploads"
	scans := scanddb.Store{Table: tb}
	svc := func() *files.Service {
		return &files.Service{Store: filesddb.Store{Table: tb}, Refs: gitrefddb.Store{Table: tb}, Repos: oneRepo{r},
			Results: scans, Scans: scans, Bucket: bucket}
	}
	node := func(path string) files.Node {
		return files.Node{Name: path[lastSlash(path)+1:], Mode: "100644", ID: fakeID(r.ID + path), Size: 10, SHA256: fakeSHA(r.ID + path)}
	}
	paths := []string{"d/ok.txt", "d/bad.bin", "d/never.txt"}
	var nodes []files.Node
	for _, p := range paths {
		nodes = append(nodes, node(p))
	}
	d := files.Tree{ID: fakeID(r.ID + "tree d"), Nodes: nodes}
	root := files.Tree{ID: fakeID(r.ID + "root"), Nodes: []files.Node{{Name: "d", Mode: files.ModeTree, ID: d.ID}}}
	commit := fakeID(r.ID + "commit")
	if _, err := svc().Index(ctx, files.IndexInput{Pusher: user, Type: r.Type, Namespace: user, Name: r.Name, PushedAt: time.Now(),
		Refs: []files.RefTip{{Ref: "refs/heads/main", New: commit, Commit: commit}}, Commits: []files.CommitTree{{Commit: commit, Tree: root.ID}}, Trees: []files.Tree{root, d}}); err != nil {
		t.Fatal(err)
	}
	key := func(p string) string { return files.ScanKey(r, files.NodeEntry(p, node(p))) }
	now := time.Now().UTC()
	for p, st := range map[string]scan.Status{"d/ok.txt": scan.StatusOK, "d/bad.bin": scan.StatusInfected} {
		ref := scan.ObjectRef{Bucket: bucket, Key: key(p), VersionID: "v1", ETag: "e"}
		if _, err := scans.Claim(ctx, ref, "run-"+p, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := scans.Complete(ctx, scan.Result{Object: ref, Status: st, ScannedAt: now, Run: "run-" + p}); err != nil {
			t.Fatal(err)
		}
		// As recorded before settled items: the result alone.
		if _, err := tb.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tb.Name), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "SCAN#" + bucket + "/" + key(p)}, "sk": &types.AttributeValueMemberS{Value: "LATEST"}}}); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{key("d/ok.txt"), key("d/bad.bin"), key("d/never.txt")}
	if got, err := scans.SettledResults(ctx, bucket, keys); err != nil || len(got) != 0 {
		t.Fatalf("settled items before the view: %v %v", got, err)
	}
	in := files.TreeInput{Caller: access.Caller{Kind: access.KindAnonymous}, Type: r.Type, Namespace: user, Name: r.Name, Revision: "main"}
	for visit := 1; visit <= 2; visit++ {
		f, err := svc().Folder(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got := f.Dirs[0].Counts
		got.At = time.Time{}
		if want := (files.FolderCounts{Files: 3, Infected: 1, Pending: 1}); len(f.Dirs) != 1 || got != want {
			t.Fatalf("visit %d: d counts %+v, want %+v", visit, got, want)
		}
	}
	got, err := scans.SettledResults(ctx, bucket, keys)
	if err != nil || len(got) != 2 || got[keys[0]].Status != scan.StatusOK || got[keys[1]].Status != scan.StatusInfected {
		t.Fatalf("settled items after the view: %v %v (want ok and infected, none for the file never scanned)", got, err)
	}
}
