package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/token"
)

// Approval is a member's fine-grained token waiting for the approval of
// an organization that requires it (tokenPolicy "require approval").
type Approval struct {
	Org       string // lower-case key of the organization
	TokenID   string
	UserID    string
	Username  string
	TokenName string
	CreatedAt time.Time
}

// Audit event types of members' tokens, recorded on the organization.
const (
	EventOrgTokenApproved = "org.member_token_approved"
	EventOrgTokenDenied   = "org.member_token_denied"
	EventOrgTokenRevoked  = "org.member_token_revoked"
)

// ApprovalStore keeps approval requests (identityddb.Store). CreateToken
// writes one per organization in a new token's Grant.Pending.
type ApprovalStore interface {
	TokenApprovals(ctx context.Context, org string) ([]Approval, error)
	TokenApproval(ctx context.Context, org, tokenID string) (Approval, error)
	// ResolveTokenApproval removes the request and writes Resolved(grant)
	// on the token (lookup and listing items, on condition that the
	// token's hash is still t.Hash), with ev, in one transaction.
	ResolveTokenApproval(ctx context.Context, t Token, org string, approve bool, ev audit.Event) error
	// RequestTokenApproval writes a request unless one exists for the
	// organization and token (false then); expires bounds its life.
	RequestTokenApproval(ctx context.Context, a Approval, expires time.Time) (bool, error)
}

// Resolved returns g after org's admins approved it (org leaves Pending
// and joins Approved) or denied it (org leaves Approved and stays in, or
// joins, Pending: asked once, the token is not asked for again and stays
// refused there whatever the organization's policy becomes).
func Resolved(g *access.Grant, org string, approve bool) access.Grant {
	out := *g
	out.Pending, out.Approved = without(g.Pending, org), without(g.Approved, org)
	if approve {
		out.Approved = append(out.Approved, org)
	} else {
		out.Pending = append(out.Pending, org)
	}
	return out
}

func without(list []string, org string) []string {
	var out []string
	for _, o := range list {
		if !strings.EqualFold(o, org) {
			out = append(out, o)
		}
	}
	return out
}

// RequestApproval asks org's admins to approve the caller's fine-grained
// token, which a request was just refused for want of (invariant 9: a
// token made before its resource's organization required approval, for
// instance for a repository since moved into it, is asked for at its
// first use there). A token already asked by org (waiting or denied) or
// approved is not asked again. Called by the authorizer on such a refusal.
func (s *Service) RequestApproval(ctx context.Context, c access.Caller, org string) error {
	if s.Approvals == nil || c.Kind != access.KindUserToken || c.TokenID == "" || c.Grant == nil || org == "" {
		return nil
	}
	if access.HasOrg(c.Grant.Pending, org) || access.HasOrg(c.Grant.Approved, org) {
		return nil
	}
	t, err := s.Store.TokenByID(ctx, c.UserID, c.TokenID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if t.Grant == nil || access.HasOrg(t.Grant.Pending, org) || access.HasOrg(t.Grant.Approved, org) {
		return nil
	}
	_, err = s.Approvals.RequestTokenApproval(ctx, Approval{Org: strings.ToLower(org), TokenID: t.ID, UserID: t.UserID,
		Username: t.Username, TokenName: t.Name, CreatedAt: t.CreatedAt}, t.ExpiresAt)
	return err
}

// OrgRoles tells a user's role in an organization now (orgddb.Store).
type OrgRoles interface {
	OrgRole(ctx context.Context, org, user string) (access.OrgRole, error)
}

// orgAdmin checks that c is an admin of org with a logged-in session.
func (s *Service) orgAdmin(ctx context.Context, c access.Caller, org string) error {
	if s.Approvals == nil || s.OrgRoles == nil {
		return apperr.E(apperr.Unavailable, "Organization token policies are not available here")
	}
	if len(org) < MinNameLen || len(org) > MaxNameLen {
		return apperr.E(apperr.NotExist, "Organization not found")
	}
	role, err := s.OrgRoles.OrgRole(ctx, org, c.Username)
	if err != nil {
		return fmt.Errorf("read role in %s: %w", org, err)
	}
	p := c.Principal(map[string]access.OrgRole{org: role})
	if d := access.Decide(p, access.OrgTokens, access.Org(org)); !d.Allow {
		return d.Err()
	}
	return nil
}

// PendingTokens lists the members' tokens waiting for org's approval.
func (s *Service) PendingTokens(ctx context.Context, c access.Caller, org string) ([]Approval, error) {
	if err := s.orgAdmin(ctx, c, org); err != nil {
		return nil, err
	}
	return s.Approvals.TokenApprovals(ctx, org)
}

// ResolveToken approves or denies a member's token for org. A denied
// token stays refused on the organization's resources.
func (s *Service) ResolveToken(ctx context.Context, c access.Caller, org, tokenID string, approve bool) error {
	if err := s.orgAdmin(ctx, c, org); err != nil {
		return err
	}
	if len(tokenID) == 0 || len(tokenID) > 64 {
		return errTokenNotFound
	}
	req, err := s.Approvals.TokenApproval(ctx, org, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.E(apperr.NotExist, "No token of this id waits for approval")
	}
	if err != nil {
		return err
	}
	typ := EventOrgTokenDenied
	if approve {
		typ = EventOrgTokenApproved
	}
	for try := 0; try < 2; try++ {
		t, err := s.Store.TokenByID(ctx, req.UserID, tokenID)
		if errors.Is(err, store.ErrNotFound) {
			// A request filed at use (RequestApproval) outlives its token:
			// resolving it removes it.
			gone := Token{ID: tokenID, UserID: req.UserID}
			ev := s.event("org:"+org, typ, c.Username, c.SourceIP, map[string]string{"tokenId": tokenID, "user": req.Username, "name": req.TokenName})
			if err := s.Approvals.ResolveTokenApproval(ctx, gone, org, false, ev); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return errTokenNotFound
		}
		if err != nil {
			return err
		}
		ev := s.event("org:"+org, typ, c.Username, c.SourceIP, map[string]string{"tokenId": t.ID, "user": t.Username, "name": t.Name})
		err = s.Approvals.ResolveTokenApproval(ctx, t, org, approve, ev)
		if !errors.Is(err, store.ErrConflict) {
			if err == nil {
				s.tokens.drop(t.UserID, t.ID)
			}
			return err
		}
	}
	return errTokenChanged
}

// RevokeForOrg lets an admin of org revoke a member's token scoped to
// the organization, given its secret; audited on the organization.
func (s *Service) RevokeForOrg(ctx context.Context, c access.Caller, org, secret string) error {
	if err := s.orgAdmin(ctx, c, org); err != nil {
		return err
	}
	notScoped := apperr.E(apperr.NotExist, "No token scoped to this organization matches")
	if k, err := token.Parse(secret); err != nil || k != token.KindUser {
		return apperr.E(apperr.Invalid, "token must be a user access token (hf_...)")
	}
	t, err := s.Store.TokenByHash(ctx, token.Hash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return notScoped
	}
	if err != nil {
		return err
	}
	scoped, err := s.scopedTo(ctx, t.Grant, org)
	if err != nil {
		return err
	}
	if !scoped {
		return notScoped
	}
	meta, err := s.Store.TokenByID(ctx, t.UserID, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return notScoped
	}
	if err != nil {
		return err
	}
	ev := s.event("org:"+org, EventOrgTokenRevoked, c.Username, c.SourceIP, map[string]string{"tokenId": t.ID, "user": t.Username, "name": meta.Name})
	if _, err := s.Store.DeleteToken(ctx, meta, ev); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return notScoped
		}
		return err
	}
	s.tokens.drop(t.UserID, t.ID)
	return nil
}

// scopedTo reports whether a grant has a scope on org or on one of its
// repositories, or waits for its approval.
func (s *Service) scopedTo(ctx context.Context, g *access.Grant, org string) (bool, error) {
	if g == nil {
		return false, nil
	}
	for _, p := range g.Pending {
		if strings.EqualFold(p, org) {
			return true, nil
		}
	}
	for _, sc := range g.Scoped {
		switch {
		case sc.Type == access.EntityOrg && strings.EqualFold(sc.Name, org):
			return true, nil
		case sc.Type.IsRepo() && s.Entities != nil:
			name, found, err := s.Entities.RepoName(ctx, sc.ID)
			if err != nil {
				return false, err
			}
			if ns, _, _ := strings.Cut(name, "/"); found && strings.EqualFold(ns, org) {
				return true, nil
			}
		}
	}
	return false, nil
}
