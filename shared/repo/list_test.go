package repo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/org/orgddb"
	"github.com/hubsec/trustlayer/shared/platform/ddb/ddbtest"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/repo/repoddb"
)

// TestNamespaceListPages: a namespace's list is read from its index a
// page at a time from the cursor, in name order, every repository the
// caller may read exactly once, and nothing of another type.
func TestNamespaceListPages(t *testing.T) {
	tbl := ddbtest.NewTable(t)
	ctx := context.Background()
	orgs := orgddb.Store{Table: tbl}
	o := org.Org{ID: randid.New(), Name: "Pages" + randid.Hex(3), CreatedAt: time.Now().UTC()}
	if err := orgs.CreateOrg(ctx, o, org.Member{User: "founder", UserID: "founder-id", Role: access.RoleAdmin, JoinedAt: o.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	store := repoddb.Store{Table: tbl}
	const models, datasets = 25, 3
	public := 0
	for i := 0; i < models+datasets; i++ {
		typ, private := access.RepoModel, i%2 == 1
		if i >= models {
			typ, private = access.RepoDataset, false
		} else if !private {
			public++
		}
		r := repo.Repo{ID: randid.New(), Type: typ, Namespace: o.Name, Name: fmt.Sprintf("Repo-%02d", i), Owner: access.OwnerOrg, OwnerID: o.ID,
			Private: private, CreatedAt: o.CreatedAt, LastModified: o.CreatedAt}
		if err := store.CreateRepo(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	svc := &repo.Service{Store: store, Orgs: orgs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	list := func(c access.Caller) []string {
		var names []string
		after := ""
		for pages := 0; pages < 100; pages++ {
			p, err := svc.List(ctx, c, repo.ListInput{Type: access.RepoModel, Author: o.Name, Limit: 4, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Repos) > 4 {
				t.Fatalf("a page of %d, want at most 4", len(p.Repos))
			}
			for _, r := range p.Repos {
				names = append(names, r.Name)
			}
			if p.Next == "" {
				return names
			}
			after = p.Next
		}
		t.Fatal("the cursor never ends")
		return nil
	}
	check := func(who string, got []string, want int) {
		t.Helper()
		if len(got) != want {
			t.Errorf("%s listed %d models, want %d: %v", who, len(got), want, got)
		}
		for i := 1; i < len(got); i++ {
			if got[i-1] >= got[i] {
				t.Errorf("%s: %q before %q: not in name order, or twice", who, got[i-1], got[i])
			}
		}
	}
	check("the admin", list(access.Caller{Kind: access.KindSession, UserID: "founder-id", Username: "founder"}), models)
	check("an anonymous caller", list(access.Caller{Kind: access.KindAnonymous}), public)
	all, err := store.ReposOf(ctx, o.Name)
	if err != nil || len(all) != models+datasets {
		t.Errorf("ReposOf: %d repositories, %v; want %d", len(all), err, models+datasets)
	}
}
