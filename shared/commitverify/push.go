package commitverify

import (
	"context"
	"errors"
	"fmt"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
	"github.com/hubsec/trustlayer/shared/signature"
	"github.com/hubsec/trustlayer/shared/token"
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

// Secret is a credential the hook found in the push: checksum-valid,
// where it was (a file path and line, or a commit or tag message).
type Secret struct {
	Token  string
	Path   string // file path, or "" for a commit or tag message
	Line   int
	Object string // the blob, commit or tag id
}

// SecretFinding is what became of one Secret.
type SecretFinding struct {
	Secret
	Live bool // it worked until now; it is revoked
}

// LeakRevoker revokes a credential found in pushed content and reports
// whether it was live (identity's RevokeFound, org's RevokeFoundToken).
type LeakRevoker interface {
	RevokeFound(ctx context.Context, cred, where, pusher string) (bool, error)
}

// RevokeFunc adapts a function to LeakRevoker.
type RevokeFunc func(ctx context.Context, cred, where, pusher string) (bool, error)

// RevokeFound implements LeakRevoker.
func (f RevokeFunc) RevokeFound(ctx context.Context, cred, where, pusher string) (bool, error) {
	return f(ctx, cred, where, pusher)
}

// MaxSecrets bounds the credentials one push check handles.
const MaxSecrets = 1000

// PushCheck is what the pre-receive hook sends: who pushed (the principal
// the authorizer admitted, as the git server was told it), where, and the
// new commit and tag objects of the push.
type PushCheck struct {
	Pusher    string
	Type      access.RepoType
	Namespace string
	Name      string
	Objects   []Object
	Secrets   []Secret
}

// PushResult is the push check's answer: the verification and the
// credentials found.
type PushResult struct {
	Push
	Secrets []SecretFinding
	// SecretsBlock: a live credential refuses the push (the default; a
	// repository or organization can turn it off, revocation stays).
	SecretsBlock bool
	// RequireSignedModels: the push may move the default branch only to a
	// commit whose model signature is verified; the git server asks the
	// uploads function (githook.ModelSigPath) before it accepts.
	RequireSignedModels bool
}

// Allowed reports the decision: signatures under the policy, and no live
// credential unless blocking is off.
func (p PushResult) Allowed() bool {
	if !p.Decision.Allowed {
		return false
	}
	if p.SecretsBlock {
		for _, f := range p.Secrets {
			if f.Live {
				return false
			}
		}
	}
	return true
}

// CheckPush verifies the objects of a push the git server received, stores
// a record of each (first record wins) and decides the push under the
// repository's policy. It trusts in.Pusher: only the git server can call
// it (see commitverifyhttp's internal route).
func (s *Service) CheckPush(ctx context.Context, in PushCheck) (PushResult, error) {
	if s.Lookup == nil {
		return PushResult{}, errors.New("commitverify: no repository lookup configured")
	}
	if in.Pusher == "" {
		return PushResult{}, apperr.E(apperr.Invalid, "pusher is required")
	}
	if err := checkObjects(in.Objects, MaxPushObjects, MaxPushTotalBytes); err != nil {
		return PushResult{}, err
	}
	if len(in.Secrets) > MaxSecrets {
		return PushResult{}, apperr.E(apperr.TooLarge, "%d credentials, limit %d per request", len(in.Secrets), MaxSecrets)
	}
	// The objects are verified (key reads) while the repository is read:
	// neither needs the other, and the pusher waits for both.
	var results []signature.Result
	verified := make(chan error, 1)
	if len(in.Objects) > 0 {
		go func() {
			var err error
			results, err = s.verifyAll(ctx, in.Objects)
			verified <- err
		}()
	} else {
		verified <- nil
	}
	r, err := s.Lookup.Get(ctx, in.Type, in.Namespace, in.Name)
	if verr := <-verified; err == nil && verr != nil {
		return PushResult{}, verr
	}
	if errors.Is(err, store.ErrNotFound) {
		return PushResult{}, apperr.E(apperr.NotExist, "Repository %s/%s not found", in.Namespace, in.Name)
	}
	if err != nil {
		return PushResult{}, fmt.Errorf("read repository %s/%s: %w", in.Namespace, in.Name, err)
	}
	out := PushResult{Push: Push{Outcomes: []Outcome{}, RequireSignedCommits: r.SignedCommitsRequired(),
		Decision: signature.Decision{Allowed: true, Rejected: []signature.Rejection{}}}, SecretsBlock: !r.SecretsAllowed(), RequireSignedModels: r.SignedModelsRequired()}
	if len(in.Objects) > 0 {
		if out.Push, err = s.store(ctx, r, in.Pusher, in.Objects, results); err != nil {
			return PushResult{}, err
		}
	}
	if out.Secrets, err = s.revokeFound(ctx, r, in.Pusher, in.Secrets); err != nil {
		return PushResult{}, err
	}
	return out, nil
}

// revokeFound revokes every live credential of the push. Each credential
// is checked once, however often it occurs.
func (s *Service) revokeFound(ctx context.Context, r repo.Repo, pusher string, secrets []Secret) ([]SecretFinding, error) {
	out := make([]SecretFinding, 0, len(secrets))
	live := map[string]bool{}
	for _, sec := range secrets {
		if _, err := token.Parse(sec.Token); err != nil {
			return nil, apperr.E(apperr.Invalid, "a reported credential is not a well-formed token")
		}
		l, seen := live[sec.Token]
		if !seen {
			if s.Leaks == nil {
				return nil, errors.New("commitverify: no credential revoker configured")
			}
			where := repoLabel(r) + ": " + place(sec)
			var err error
			if l, err = s.Leaks.RevokeFound(ctx, sec.Token, where, pusher); err != nil {
				return nil, fmt.Errorf("revoke a found credential: %w", err)
			}
			live[sec.Token] = l
		}
		out = append(out, SecretFinding{Secret: sec, Live: l})
	}
	return out, nil
}

// place names where a credential was found.
func place(s Secret) string {
	if s.Path == "" {
		return fmt.Sprintf("message of %s, line %d", s.Object, s.Line)
	}
	return fmt.Sprintf("%s line %d", s.Path, s.Line)
}
