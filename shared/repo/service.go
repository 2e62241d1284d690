package repo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// Service applies the repository rules over a Store.
type Service struct {
	Store Store
	Orgs  Orgs
	Audit audit.Log
	Log   *slog.Logger
	Now   func() time.Time // time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// missing is the answer for a repository that does not exist or that the
// caller cannot see: the same as access.Decide's for a private one.
func missing(c access.Caller) error {
	if c.Kind == access.KindAnonymous {
		return apperr.E(apperr.Unauthenticated, "%s", access.ReasonLogin).WithCode(apperr.CodeRepoNotFound)
	}
	return apperr.E(apperr.NotExist, "%s", access.ReasonNotFound).WithCode(apperr.CodeRepoNotFound)
}

// roles loads the caller's roles, now, in those of nss that are organizations.
func (s *Service) roles(ctx context.Context, c access.Caller, nss ...Namespace) (map[string]access.OrgRole, error) {
	out := map[string]access.OrgRole{}
	if !c.IsUser() {
		return out, nil
	}
	for _, ns := range nss {
		if ns.Kind != access.OwnerOrg {
			continue
		}
		if _, ok := out[ns.Name]; ok {
			continue
		}
		r, err := s.Orgs.OrgRole(ctx, ns.Name, c.Username)
		if err != nil {
			return nil, fmt.Errorf("read role in %s: %w", ns.Name, err)
		}
		out[ns.Name] = r
	}
	return out, nil
}

// namespace resolves a namespace; unknown is NotExist.
func (s *Service) namespace(ctx context.Context, name string) (Namespace, error) {
	ns, err := s.Store.Namespace(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Namespace{}, apperr.E(apperr.NotExist, "No user or organization named %q", name)
	}
	if err != nil {
		return Namespace{}, fmt.Errorf("resolve namespace %s: %w", name, err)
	}
	return ns, nil
}

// load reads a repository and checks that the caller may do a to it. A
// repository the caller cannot read is answered as missing.
func (s *Service) load(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (Repo, map[string]access.OrgRole, error) {
	if checkNamespace("namespace", ns) != nil || CheckName(name) != nil {
		return Repo{}, nil, missing(c)
	}
	r, err := s.Store.Repo(ctx, typ, ns, name)
	if errors.Is(err, store.ErrNotFound) {
		return Repo{}, nil, missing(c)
	}
	if err != nil {
		return Repo{}, nil, fmt.Errorf("read repo %s/%s: %w", ns, name, err)
	}
	roles, err := s.roles(ctx, c, Namespace{Name: r.Namespace, Kind: r.Owner})
	if err != nil {
		return Repo{}, nil, err
	}
	if d := access.Decide(c.Principal(roles), a, r.Resource()); !d.Allow {
		return Repo{}, nil, d.Err()
	}
	return r, roles, nil
}

// CreateInput is a request to create a repository.
type CreateInput struct {
	Name      string
	Namespace string // "" for the caller's own namespace
	Type      access.RepoType
	Private   bool
	SDK       string
}

// Create creates a repository (repo.create on the target namespace). When
// the name is taken the error is of kind Exist and the returned Repo names
// the repository asked for, so that the caller can still answer its URL.
func (s *Service) Create(ctx context.Context, c access.Caller, in CreateInput) (Repo, error) {
	if c.Kind == access.KindAnonymous {
		return Repo{}, apperr.E(apperr.Unauthenticated, "%s", access.ReasonLogin)
	}
	if err := CheckName(in.Name); err != nil {
		return Repo{}, err
	}
	typ, err := ParseType(string(in.Type))
	if err != nil {
		return Repo{}, err
	}
	if err := checkSDK(typ, in.SDK); err != nil {
		return Repo{}, err
	}
	nsName := in.Namespace
	if nsName == "" {
		if !c.IsUser() {
			return Repo{}, apperr.E(apperr.Invalid, "organization is required when the caller is not a user")
		}
		nsName = c.Username
	}
	if err := checkNamespace("organization", nsName); err != nil {
		return Repo{}, err
	}
	ns, err := s.namespace(ctx, nsName)
	if err != nil {
		return Repo{}, err
	}
	roles, err := s.roles(ctx, c, ns)
	if err != nil {
		return Repo{}, err
	}
	if d := access.Decide(c.Principal(roles), access.RepoCreate, access.Namespace(ns.Name, ns.Kind)); !d.Allow {
		return Repo{}, d.Err()
	}
	now := s.now()
	r := Repo{ID: randid.New(), Type: typ, Namespace: ns.Name, Name: in.Name, Owner: ns.Kind, OwnerID: ns.ID,
		Private: in.Private, SDK: in.SDK, CreatedBy: c.UserID, CreatedAt: now, LastModified: now}
	if err := s.Store.CreateRepo(ctx, r); err != nil {
		switch {
		case errors.Is(err, store.ErrExists):
			return Repo{Type: typ, Namespace: ns.Name, Name: in.Name, Owner: ns.Kind}, apperr.E(apperr.Exist, "You already created this %s repo", typ)
		case errors.Is(err, store.ErrNotFound):
			return Repo{}, apperr.E(apperr.NotExist, "No user or organization named %q", nsName)
		}
		return Repo{}, fmt.Errorf("create repo %s: %w", r.FullName(), err)
	}
	s.audit(ctx, c, ns.Subject(), EventCreated, map[string]string{"repo": r.FullName(), "type": string(typ),
		"private": fmt.Sprint(r.Private), "id": r.ID})
	return r, nil
}

// Delete deletes a repository (repo.delete).
func (s *Service) Delete(ctx context.Context, c access.Caller, typ access.RepoType, ns, name string) error {
	r, _, err := s.load(ctx, c, access.RepoDelete, typ, ns, name)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteRepo(ctx, r); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return missing(c)
		}
		return fmt.Errorf("delete repo %s: %w", r.FullName(), err)
	}
	s.audit(ctx, c, Namespace{Name: r.Namespace, Kind: r.Owner, ID: r.OwnerID}.Subject(), EventDeleted,
		map[string]string{"repo": r.FullName(), "type": string(r.Type), "id": r.ID})
	return nil
}

// Move renames a repository or transfers it to another namespace, keeping
// its id and settings. It needs repo.move on the source repository and on
// the destination namespace.
func (s *Service) Move(ctx context.Context, c access.Caller, typ access.RepoType, fromNS, fromName, toNS, toName string) (Repo, error) {
	if err := checkNamespace("toRepo namespace", toNS); err != nil {
		return Repo{}, err
	}
	if err := CheckName(toName); err != nil {
		return Repo{}, err
	}
	r, roles, err := s.load(ctx, c, access.RepoMove, typ, fromNS, fromName)
	if err != nil {
		return Repo{}, err
	}
	dst, err := s.namespace(ctx, toNS)
	if err != nil {
		return Repo{}, err
	}
	more, err := s.roles(ctx, c, dst)
	if err != nil {
		return Repo{}, err
	}
	for k, v := range more {
		roles[k] = v
	}
	if d := access.Decide(c.Principal(roles), access.RepoMove, access.Namespace(dst.Name, dst.Kind)); !d.Allow {
		return Repo{}, d.Err()
	}
	to := r
	to.Namespace, to.Name, to.Owner, to.OwnerID, to.LastModified = dst.Name, toName, dst.Kind, dst.ID, s.now()
	if to.Namespace == r.Namespace && to.Name == r.Name {
		return Repo{}, apperr.E(apperr.Invalid, "fromRepo and toRepo are the same repository")
	}
	if err := s.Store.MoveRepo(ctx, r, to); err != nil {
		switch {
		case errors.Is(err, store.ErrExists):
			return Repo{}, apperr.E(apperr.Exist, "A %s repo named %s already exists", typ, to.FullName())
		case errors.Is(err, store.ErrNotFound):
			return Repo{}, apperr.E(apperr.Exist, "The repository or its destination changed while moving; try again")
		}
		return Repo{}, fmt.Errorf("move repo %s to %s: %w", r.FullName(), to.FullName(), err)
	}
	details := map[string]string{"from": r.FullName(), "to": to.FullName(), "type": string(typ), "id": r.ID}
	src := Namespace{Name: r.Namespace, Kind: r.Owner, ID: r.OwnerID}
	s.audit(ctx, c, src.Subject(), EventMoved, details)
	if dst.Subject() != src.Subject() {
		s.audit(ctx, c, dst.Subject(), EventMoved, details)
	}
	return to, nil
}

// Info returns a repository the caller may read (repo.read).
func (s *Service) Info(ctx context.Context, c access.Caller, typ access.RepoType, ns, name string) (Repo, error) {
	r, _, err := s.load(ctx, c, access.RepoRead, typ, ns, name)
	if err != nil {
		return Repo{}, err
	}
	return s.withOrgPolicy(ctx, r)
}

// UpdateSettings changes visibility or the signed-commit requirement
// (repo.settings).
func (s *Service) UpdateSettings(ctx context.Context, c access.Caller, typ access.RepoType, ns, name string, ch SettingsChange) (Repo, error) {
	if ch.Private == nil && ch.RequireSignedCommits == nil && ch.AllowSecretsInPushes == nil && ch.AllowServiceSignedCommits == nil && ch.RequireSignedModels == nil {
		return Repo{}, apperr.E(apperr.Invalid, "Nothing to change: give private, visibility, requireSignedCommits, allowSecretsInPushes, allowServiceSignedCommits or requireSignedModels")
	}
	r, _, err := s.load(ctx, c, access.RepoSettings, typ, ns, name)
	if err != nil {
		return Repo{}, err
	}
	out, err := s.Store.UpdateRepo(ctx, r, ch, s.now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Repo{}, missing(c)
		}
		return Repo{}, fmt.Errorf("update repo %s: %w", r.FullName(), err)
	}
	details := map[string]string{"repo": r.FullName(), "type": string(r.Type)}
	if ch.Private != nil {
		details["private"] = fmt.Sprint(*ch.Private)
	}
	if ch.RequireSignedCommits != nil {
		details["requireSignedCommits"] = fmt.Sprint(*ch.RequireSignedCommits)
	}
	if ch.AllowSecretsInPushes != nil {
		details["allowSecretsInPushes"] = fmt.Sprint(*ch.AllowSecretsInPushes)
	}
	if ch.AllowServiceSignedCommits != nil {
		details["allowServiceSignedCommits"] = fmt.Sprint(*ch.AllowServiceSignedCommits)
	}
	if ch.RequireSignedModels != nil {
		details["requireSignedModels"] = fmt.Sprint(*ch.RequireSignedModels)
	}
	s.audit(ctx, c, Namespace{Name: r.Namespace, Kind: r.Owner, ID: r.OwnerID}.Subject(), EventSettingsChanged, details)
	return s.withOrgPolicy(ctx, out)
}

// Get returns a repository with its effective signed-commit policy, for
// other functions (commit verification, uploads). It checks no access:
// callers decide with access.Decide themselves. A missing repository is
// store.ErrNotFound.
func (s *Service) Get(ctx context.Context, typ access.RepoType, ns, name string) (Repo, error) {
	r, err := s.Store.Repo(ctx, typ, ns, name)
	if err != nil {
		return Repo{}, err
	}
	return s.withOrgPolicy(ctx, r)
}

// Authorize loads the repository a request names and decides a on it for
// c now, with c's current organization role: a missing repository, or one
// c may not see, answers as not found (RepoNotFound), like the authorizer.
// Every function that acts on a repository asks here.
func (s *Service) Authorize(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (Repo, error) {
	r, _, err := s.load(ctx, c, a, typ, ns, name)
	if err != nil {
		return Repo{}, err
	}
	return s.withOrgPolicy(ctx, r)
}

// AuthorizeRead decides a (a read of files) as Authorize does, with what
// the authorizer read for this request when it names this repository
// (c.Repo): then nothing is read from the store. Otherwise, or when those
// facts refuse (they may be up to authz.FactsTTL old: a repository just
// made public), the repository and the caller's role are read and decide.
// The Repo returned carries identity, owner and visibility only, neither
// settings nor organization policies: enough to serve files, not to push.
func (s *Service) AuthorizeRead(ctx context.Context, c access.Caller, a access.Action, typ access.RepoType, ns, name string) (Repo, error) {
	if e := c.Repo; e.Names(typ, ns, name) {
		r := Repo{ID: e.Facts.ID, Type: typ, Namespace: e.Facts.Namespace, Name: e.Facts.Name, Owner: e.Facts.Owner,
			Private: e.Facts.Private, CreatedBy: e.Facts.Creator}
		roles := map[string]access.OrgRole{}
		if r.Owner == access.OwnerOrg && e.Role != "" {
			roles[r.Namespace] = e.Role
		}
		res := r.Resource()
		res.Policy = e.Facts.Policy
		if access.Decide(c.Principal(roles), a, res).Allow {
			return r, nil
		}
	}
	r, _, err := s.load(ctx, c, a, typ, ns, name)
	return r, err
}

func (s *Service) withOrgPolicy(ctx context.Context, r Repo) (Repo, error) {
	if r.Owner != access.OwnerOrg {
		return r, nil
	}
	if pp, ok := s.Orgs.(orgPushPolicy); ok {
		req, secrets, service, models, err := pp.OrgPushPolicy(ctx, r.Namespace)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Repo{}, fmt.Errorf("read org policy %s: %w", r.Namespace, err)
		}
		r.OrgRequireSignedCommits, r.OrgAllowSecretsInPushes, r.OrgAllowServiceSignedCommits, r.OrgRequireSignedModels = req, secrets, service, models
		return r, nil
	}
	req, err := s.Orgs.OrgRequiresSignedCommits(ctx, r.Namespace)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Repo{}, fmt.Errorf("read org policy %s: %w", r.Namespace, err)
	}
	r.OrgRequireSignedCommits = req
	if sp, ok := s.Orgs.(orgSecretsPolicy); ok {
		allow, err := sp.OrgAllowsSecretsInPushes(ctx, r.Namespace)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Repo{}, fmt.Errorf("read org policy %s: %w", r.Namespace, err)
		}
		r.OrgAllowSecretsInPushes = allow
	}
	return r, nil
}

// orgPushPolicy reads all of an organization's push settings in one read
// (orgddb.Store): requireSignedCommits, allowSecretsInPushes,
// allowServiceSignedCommits, requireSignedModels.
type orgPushPolicy interface {
	OrgPushPolicy(ctx context.Context, org string) (requireSigned, allowSecrets, allowServiceSigned, requireSignedModels bool, err error)
}

// orgSecretsPolicy reads an organization's secret push protection setting
// (orgddb.Store); an Orgs without it leaves protection on.
type orgSecretsPolicy interface {
	OrgAllowsSecretsInPushes(ctx context.Context, org string) (bool, error)
}

func (s *Service) audit(ctx context.Context, c access.Caller, subject, typ string, details map[string]string) {
	if s.Audit == nil {
		return
	}
	ev := audit.Event{Subject: subject, At: s.now(), Type: typ, Actor: c.Username, SourceIP: c.SourceIP, Details: details}
	if err := s.Audit.AppendAudit(ctx, ev); err != nil && s.Log != nil {
		s.Log.ErrorContext(ctx, "audit write failed", "type", typ, "err", err)
	}
}
