package commitverify

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/platform/apperr"
	"github.com/hubsec/trustlayer/internal/platform/store"
	"github.com/hubsec/trustlayer/internal/repo"
	"github.com/hubsec/trustlayer/internal/signature"
)

// Limits of one push check from the git server's pre-receive hook: one
// request per push up to Lambda's 6 MB synchronous payload (the hook splits
// a larger push into several requests, and refuses it if any refuses).
const (
	MaxPushObjects    = 20000
	MaxPushTotalBytes = 5 << 20
)

// RepoLookup reads a repository without an access check (the git server's
// hooks run after the authorizer allowed the push); *repo.Service
// implements it. A missing repository is store.ErrNotFound.
type RepoLookup interface {
	Get(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error)
}

// PushCheck is what the pre-receive hook sends: who pushed (the principal
// the authorizer admitted, as the git server was told it), where, and the
// new commit and tag objects of the push.
type PushCheck struct {
	Pusher    string
	Type      access.RepoType
	Namespace string
	Name      string
	Objects   []Object
}

// CheckPush verifies the objects of a push the git server received, stores
// a record of each (first record wins) and decides the push under the
// repository's policy. It trusts in.Pusher: only the git server can call
// it (see commitverifyhttp's internal route).
func (s *Service) CheckPush(ctx context.Context, in PushCheck) (Push, repo.Repo, error) {
	if s.Lookup == nil {
		return Push{}, repo.Repo{}, errors.New("commitverify: no repository lookup configured")
	}
	if in.Pusher == "" {
		return Push{}, repo.Repo{}, apperr.E(apperr.Invalid, "pusher is required")
	}
	if len(in.Objects) > MaxPushObjects {
		return Push{}, repo.Repo{}, apperr.E(apperr.TooLarge, "%d objects, limit %d per request", len(in.Objects), MaxPushObjects)
	}
	if err := checkObjects(in.Objects, MaxPushObjects, MaxPushTotalBytes); err != nil {
		return Push{}, repo.Repo{}, err
	}
	r, err := s.Lookup.Get(ctx, in.Type, in.Namespace, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return Push{}, repo.Repo{}, apperr.E(apperr.NotExist, "Repository %s/%s not found", in.Namespace, in.Name)
	}
	if err != nil {
		return Push{}, repo.Repo{}, fmt.Errorf("read repository %s/%s: %w", in.Namespace, in.Name, err)
	}
	out := Push{Outcomes: []Outcome{}, RequireSignedCommits: r.SignedCommitsRequired(), Decision: signature.Decision{Allowed: true, Rejected: []signature.Rejection{}}}
	if len(in.Objects) == 0 {
		return out, r, nil
	}
	p, err := s.verifyAndStore(ctx, r, in.Pusher, in.Objects)
	return p, r, err
}
