package files_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/files/filesddb"
	"github.com/hubsec/trustlayer/shared/gitref"
	"github.com/hubsec/trustlayer/shared/gitref/gitrefddb"
	"github.com/hubsec/trustlayer/shared/modelformat"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/scanddb"
)

// TestCompanionsJudgedAgainstTheTree: the tree API (expand=true) judges the
// files a model's loader reads beside it against the commit's file index
// (DynamoDB Local): ONNX external data present, missing, behind a symbolic
// link; a SavedModel's variables complete, without its index, with a
// missing shard. The object's stored verdict is not changed.
func TestCompanionsJudgedAgainstTheTree(t *testing.T) {
	tb := ddbtest.NewTable(t)
	ctx := context.Background()
	user := "cp" + hexRand(4)
	r := repo.Repo{ID: hexRand(12), Type: access.RepoModel, Namespace: user, Name: "m", Owner: access.OwnerUser, OwnerID: "u1"}
	caller := access.Caller{Kind: access.KindUserToken, Role: access.TokenRead, UserID: "u1", Username: user}
	scans := scanddb.Store{Table: tb}
	const bucket = "uploads"
	svc := &files.Service{Store: filesddb.Store{Table: tb}, Refs: gitrefddb.Store{Table: tb}, Repos: oneRepo{r},
		Results: scans, Scans: scans, Bucket: bucket, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	now := time.Now().UTC()
	var entries []files.Entry
	file := func(p, mode string, companions ...string) {
		e := files.Entry{Path: p, Mode: mode, Size: 10, BlobID: hexRand(20), SHA256: hexRand(32)}
		entries = append(entries, e)
		// Every file has a verdict (none is queued): the model files carry
		// the companions their readers found.
		ref := scan.ObjectRef{Bucket: bucket, Key: files.ScanKey(r, e), Size: 10}
		if _, err := scans.Claim(ctx, ref, "run", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := scans.Complete(ctx, scan.Result{Object: ref, Status: scan.StatusOK, Run: "run", Companions: companions, ScannedAt: now,
			Engines: map[string]string{scan.EngineFormats: modelformat.Version}}); err != nil {
			t.Fatal(err)
		}
	}
	const sym = files.ModeSymlink
	file("good/model.onnx", "100644", "model.onnx.data", "weights/w.bin")
	file("good/model.onnx.data", "100644")
	file("good/weights/w.bin", "100644")
	file("missing/model.onnx", "100644", "model.onnx.data")
	file("linked/model.onnx", "100644", "weights/w.bin", "data.bin")
	file("linked/weights", sym)
	file("linked/data.bin", sym)
	file("sm/saved_model.pb", "100644", modelformat.VariablesIndex)
	file("sm/variables/variables.index", "100644")
	file("sm/variables/variables.data-00000-of-00002", "100644")
	file("sm/variables/variables.data-00001-of-00002", "100644")
	file("smnoindex/saved_model.pb", "100644", modelformat.VariablesIndex)
	file("smnoindex/variables/variables.data-00000-of-00001", "100644")
	file("smshard/saved_model.pb", "100644", modelformat.VariablesIndex)
	file("smshard/variables/variables.index", "100644")
	file("smshard/variables/variables.data-00001-of-00003", "100644")
	commit := hexRand(20)
	if err := svc.Store.PutCommit(ctx, r.ID, commit, entries, now); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refs.PutRef(ctx, r.ID, gitref.Ref{Name: "refs/heads/main", Commit: commit, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	list, err := svc.Tree(ctx, files.TreeInput{Caller: caller, Type: r.Type, Namespace: user, Name: "m", Revision: "main", Recursive: true, Expand: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status string
		reason string // "" = no finding
	}{
		"good/model.onnx":          {"safe", ""},
		"missing/model.onnx":       {"caution", `external data "model.onnx.data" is not in the repository beside the model (missing/model.onnx.data)`},
		"linked/model.onnx":        {"unsafe", `external data "weights/w.bin" reads through the symbolic link "linked/weights"`},
		"sm/saved_model.pb":        {"safe", ""},
		"smnoindex/saved_model.pb": {"caution", "smnoindex/variables/variables.index is not in the repository"},
		"smshard/saved_model.pb":   {"caution", "missing data shards: variables.data-00000-of-00003, variables.data-00002-of-00003"},
	}
	seen := 0
	for _, te := range list {
		w, ok := want[te.Path]
		if !ok {
			continue
		}
		seen++
		st := te.SecurityFileStatus
		if st == nil {
			t.Fatalf("%s: no securityFileStatus", te.Path)
		}
		var reasons []string
		if st.ModelFormatScan != nil {
			for _, f := range st.ModelFormatScan.Findings {
				reasons = append(reasons, f.Engine+": "+f.Reason)
			}
		}
		text := strings.Join(reasons, "; ")
		if st.Status != w.status || (w.reason == "") != (text == "") || !strings.Contains(text, w.reason) {
			t.Errorf("%s: %s %q, want %s %q", te.Path, st.Status, text, w.status, w.reason)
		}
	}
	if seen != len(want) {
		t.Errorf("listed %d of the %d model files", seen, len(want))
	}
	// The linked model's own data.bin is a symbolic link too: both named.
	for _, te := range list {
		if te.Path == "linked/model.onnx" && !strings.Contains(te.SecurityFileStatus.ModelFormatScan.Findings[1].Reason, `"data.bin" reads through the symbolic link "linked/data.bin"`) {
			t.Errorf("linked/model.onnx: %+v", te.SecurityFileStatus.ModelFormatScan.Findings)
		}
	}
	// The stored verdict is the object's, unchanged by any one tree.
	res, ok, err := scans.LatestResult(ctx, bucket, files.ScanKey(r, entries[5]))
	if err != nil || !ok || res.Status != scan.StatusOK {
		t.Errorf("stored verdict of linked/model.onnx: %v %v %v", res.Status, ok, err)
	}
}
