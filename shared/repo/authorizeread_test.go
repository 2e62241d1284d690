package repo_test

import (
	"context"
	"testing"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/repo"
)

// oneRepoStore holds one repository and counts its reads.
type oneRepoStore struct {
	repo.Store
	r     repo.Repo
	reads int
}

func (s *oneRepoStore) Repo(_ context.Context, typ access.RepoType, ns, name string) (repo.Repo, error) {
	s.reads++
	return s.r, nil
}

// TestAuthorizeReadNeverRefusesOnTheAuthorizersFacts: the authorizer's
// reading of a repository (c.Repo, up to FactsTTL old) decides a read with
// no store read when it allows; when it refuses, the repository is read
// and decides (a repository just made public is readable at once), and a
// repository still private is refused after that read.
func TestAuthorizeReadNeverRefusesOnTheAuthorizersFacts(t *testing.T) {
	r := repo.Repo{ID: "r1", Type: access.RepoModel, Namespace: "alice", Name: "m", Owner: access.OwnerUser, OwnerID: "u1"}
	est := func(private bool) *access.Established {
		return &access.Established{Type: access.RepoModel, Facts: access.RepoFacts{ID: "r1", Namespace: "alice", Name: "m", Owner: access.OwnerUser, Private: private}}
	}
	for _, tt := range []struct {
		name                string
		facts, storePrivate bool
		wantReads           int
		wantAllowed         bool
	}{
		{"public in both: no read", false, false, 0, true},
		{"made public since the authorizer read it: read, allowed", true, false, 1, true},
		{"private in both: read, refused", true, true, 1, false},
	} {
		st := &oneRepoStore{r: r}
		st.r.Private = tt.storePrivate
		svc := &repo.Service{Store: st}
		c := access.Caller{Kind: access.KindAnonymous, Repo: est(tt.facts)}
		got, err := svc.AuthorizeRead(context.Background(), c, access.RepoRead, access.RepoModel, "alice", "m")
		if (err == nil) != tt.wantAllowed || st.reads != tt.wantReads {
			t.Errorf("%s: %v (%v), %d reads; want allowed %v after %d reads", tt.name, err, apperr.KindOf(err), st.reads, tt.wantAllowed, tt.wantReads)
		}
		if err == nil && got.ID != "r1" {
			t.Errorf("%s: repository %+v", tt.name, got)
		}
	}
}
