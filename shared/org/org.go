// Package org is the organization half of the hub: profiles, members and
// their roles (read, contributor, write, admin), the "require signed commits" setting and
// the organization API token (api_org_). It holds the rules and asks
// access.Decide, with the caller's role loaded for this request, before every
// change; storage is a port (Store) implemented by orgddb.Store.
//
// Organization names share one namespace with user names: creating an
// organization claims its name with the same item a sign-up claims.
//
// The last admin rule: an organization always keeps at least one admin. The
// store enforces it inside the transaction that demotes or removes an admin
// (a counter of admins on the profile, decremented on condition that it
// stays positive), so two admins demoting each other at once cannot both
// succeed.
package org

import (
	"context"
	"errors"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/audit"
)

// Org is an organization's public profile, its settings and its API token
// metadata.
type Org struct {
	ID                   string
	Name                 string
	Fullname             string
	Description          string
	AvatarURL            string
	Links                []string
	CreatedAt            time.Time
	RequireSignedCommits bool
	TokenPolicy          access.TokenPolicy // "" is access.PolicyAllowAll
	// AllowSecretsInPushes lets pushes holding a live credential through
	// in every repository of the organization (it is revoked all the same).
	AllowSecretsInPushes bool
	// AllowServiceSignedCommits lets commits the service signed for a
	// user (the commit API) pass requireSignedCommits in every repository
	// of the organization; off by default.
	AllowServiceSignedCommits bool
	// RequireSignedModels refuses, in every repository of the
	// organization, a push that would move the default branch to a commit
	// whose model signature is not verified (docs/model-signing.md).
	RequireSignedModels bool
	Token               TokenInfo // Hash is "" when the organization has no API token
}

// TokenInfo is the stored form of an organization API token: never the
// secret, only its hash and a masked hint.
type TokenInfo struct {
	Hash      string
	Hint      string
	CreatedAt time.Time
}

// Member is a user's membership of an organization.
type Member struct {
	User     string // user name, canonical spelling
	UserID   string
	Role     access.OrgRole
	JoinedAt time.Time
}

// Membership is one organization of a user, for whoami-v2.
type Membership struct {
	OrgID    string
	Org      string
	Fullname string
	Role     access.OrgRole
}

// Change is a partial update of an organization: nil fields stay as they are.
type Change struct {
	Fullname                  *string
	Description               *string
	AvatarURL                 *string
	Links                     *[]string
	RequireSignedCommits      *bool
	TokenPolicy               *access.TokenPolicy
	AllowSecretsInPushes      *bool
	AllowServiceSignedCommits *bool
	RequireSignedModels       *bool
}

// ErrLastAdmin is returned by the store when a change would leave an
// organization without an admin.
var ErrLastAdmin = errors.New("the last admin cannot be removed or demoted")

// Store is what the service needs from storage. Not-found is
// store.ErrNotFound, a taken name *store.ExistsError, and a failed
// condition on state read earlier store.ErrConflict, as for identity.
type Store interface {
	// CreateOrg claims the name (shared with user names), writes the
	// profile and makes creator an admin, in one transaction.
	CreateOrg(ctx context.Context, o Org, creator Member) error
	// OrgByName reads an organization, strongly consistent, by its name in
	// any letter case.
	OrgByName(ctx context.Context, name string) (Org, error)
	// UpdateOrg applies ch to the organization and returns it as stored.
	UpdateOrg(ctx context.Context, name string, ch Change) (Org, error)

	// Member reads one membership, strongly consistent.
	Member(ctx context.Context, org, user string) (Member, error)
	// Members lists an organization's members.
	Members(ctx context.Context, org string) ([]Member, error)
	// PutMember adds m or changes its role. prev is the role read before
	// ("" when m.User was no member); the write is conditioned on it and
	// keeps the admin count, failing with ErrLastAdmin when it would reach
	// zero. When byAdmin is not "" the write is also conditioned on byAdmin
	// still being an admin of the organization.
	PutMember(ctx context.Context, o Org, m Member, prev access.OrgRole, byAdmin string) error
	// RemoveMember deletes user's membership under the same conditions as
	// PutMember.
	RemoveMember(ctx context.Context, o Org, user string, prev access.OrgRole, byAdmin string) error
	// OrgsOf lists a user's organizations.
	OrgsOf(ctx context.Context, user string) ([]Membership, error)

	// SetToken replaces the organization's API token whose hash is old
	// ("" for none) by t, or revokes it when t.Hash is "", atomically with
	// its lookup item; store.ErrConflict if the stored hash is not old.
	SetToken(ctx context.Context, o Org, old string, t TokenInfo) error
}

// Users resolves user names (identityddb.Store satisfies it).
type Users interface {
	UserByName(ctx context.Context, name string) (identity.User, error)
}

// AuditLog stores and lists audit events (ddb.Table satisfies it).
type AuditLog interface {
	AppendAudit(ctx context.Context, ev audit.Event) error
	Audit(ctx context.Context, subject string, limit int, cursor string) ([]audit.Event, string, error)
}

// Audit event types recorded on subject "org:<name>".
const (
	EventCreated         = "org.created"
	EventProfileUpdated  = "org.profile_updated"
	EventSettingsChanged = "org.settings_changed"
	EventMemberAdded     = "org.member_added"
	EventMemberRole      = "org.member_role_changed"
	EventMemberRemoved   = "org.member_removed"
	EventMemberLeft      = "org.member_left"
	EventTokenRefreshed  = "org.token_refreshed"
	EventTokenRevoked    = "org.token_revoked"
	// Members' access tokens scoped to the organization.
	EventMemberTokenApproved = "org.member_token_approved"
	EventMemberTokenDenied   = "org.member_token_denied"
	EventMemberTokenRevoked  = "org.member_token_revoked"
)

// Subject returns the audit subject of an organization.
func Subject(name string) string { return "org:" + name }
