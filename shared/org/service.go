package org

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// Service applies the organization rules over a Store.
type Service struct {
	Store Store
	Users Users
	Audit AuditLog
	Log   *slog.Logger
	Now   func() time.Time // time.Now when nil
	// TokenOwners resolves token hashes, for RevokeLeakedToken only.
	TokenOwners TokenOwners
}

// attempts bounds the retries of a change whose store condition failed
// because something changed between the read and the write.
const attempts = 3

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

var errChanged = apperr.E(apperr.Exist, "The organization changed while this request ran; try again")

// CreateInput is the body of POST /api/organizations.
type CreateInput struct {
	Name        string   `json:"name"`
	Fullname    string   `json:"fullname,omitempty"`
	Description string   `json:"description,omitempty"`
	AvatarURL   string   `json:"avatarUrl,omitempty"`
	Links       []string `json:"links,omitempty"`
}

// Create creates an organization with the caller as its first admin.
func (s *Service) Create(ctx context.Context, c access.Caller, in CreateInput) (Org, error) {
	if d := access.Decide(c.Principal(nil), access.OrgCreate, access.Org(nonEmpty(in.Name))); !d.Allow {
		return Org{}, d.Err()
	}
	if !c.IsUser() || c.UserID == "" {
		return Org{}, apperr.E(apperr.Permission, "Only a user can create an organization")
	}
	if err := identity.CheckName("organization name", in.Name); err != nil {
		return Org{}, err
	}
	links := in.Links
	if err := checkChange(Change{Fullname: &in.Fullname, Description: &in.Description, AvatarURL: &in.AvatarURL, Links: &links}); err != nil {
		return Org{}, err
	}
	now := s.now()
	o := Org{ID: randid.New(), Name: in.Name, Fullname: in.Fullname, Description: in.Description, AvatarURL: in.AvatarURL,
		Links: in.Links, CreatedAt: now}
	creator := Member{User: c.Username, UserID: c.UserID, Role: access.RoleAdmin, JoinedAt: now}
	if err := s.Store.CreateOrg(ctx, o, creator); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Org{}, apperr.E(apperr.Exist, "The name %q is already taken by a user or an organization", in.Name)
		}
		return Org{}, fmt.Errorf("create org %s: %w", in.Name, err)
	}
	s.audit(ctx, c, o.Name, EventCreated, map[string]string{"admin": c.Username})
	return o, nil
}

// nonEmpty keeps Decide's input valid for an empty name, so the name
// check, not a 500, reports it.
func nonEmpty(name string) string {
	if name == "" {
		return "-"
	}
	return name
}

// Get returns an organization's public profile; anyone may read it.
func (s *Service) Get(ctx context.Context, name string) (Org, error) {
	if len(name) > identity.MaxNameLen || name == "" {
		return Org{}, notFoundOrg()
	}
	o, err := s.Store.OrgByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Org{}, notFoundOrg()
	}
	if err != nil {
		return Org{}, fmt.Errorf("read org %s: %w", name, err)
	}
	return o, nil
}

func notFoundOrg() error { return apperr.E(apperr.NotExist, "Organization not found") }

// role returns the caller's role in org now ("" for none or non-users).
func (s *Service) role(ctx context.Context, c access.Caller, org string) (access.OrgRole, error) {
	if !c.IsUser() {
		return "", nil
	}
	m, err := s.Store.Member(ctx, org, c.Username)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read role in %s: %w", org, err)
	}
	return m.Role, nil
}

// authorize loads the organization and the caller's role in it and asks
// the policy whether the caller may do a.
func (s *Service) authorize(ctx context.Context, c access.Caller, a access.Action, name string) (Org, access.OrgRole, error) {
	o, err := s.Get(ctx, name)
	if err != nil {
		return Org{}, "", err
	}
	role, err := s.role(ctx, c, o.Name)
	if err != nil {
		return Org{}, "", err
	}
	p := c.Principal(map[string]access.OrgRole{o.Name: role})
	if d := access.Decide(p, a, access.Org(o.Name)); !d.Allow {
		return Org{}, "", d.Err()
	}
	return o, role, nil
}

// Authorize checks that c may do a on organization name and answers its
// canonical name (for other domains' org settings, e.g. model signers).
func (s *Service) Authorize(ctx context.Context, c access.Caller, a access.Action, name string) (string, error) {
	o, _, err := s.authorize(ctx, c, a, name)
	return o.Name, err
}

// ProfileInput is the body of PUT /api/organizations/{org}.
type ProfileInput struct {
	Fullname    *string   `json:"fullname"`
	Description *string   `json:"description"`
	AvatarURL   *string   `json:"avatarUrl"`
	Links       *[]string `json:"links"`
}

// UpdateProfile changes the given profile fields (org.admin).
func (s *Service) UpdateProfile(ctx context.Context, c access.Caller, name string, in ProfileInput) (Org, error) {
	o, _, err := s.authorize(ctx, c, access.OrgAdmin, name)
	if err != nil {
		return Org{}, err
	}
	ch := Change{Fullname: in.Fullname, Description: in.Description, AvatarURL: in.AvatarURL, Links: in.Links}
	if ch.Fullname == nil && ch.Description == nil && ch.AvatarURL == nil && ch.Links == nil {
		return Org{}, apperr.E(apperr.Invalid, "Nothing to change: give fullname, description, avatarUrl or links")
	}
	if err := checkChange(ch); err != nil {
		return Org{}, err
	}
	out, err := s.Store.UpdateOrg(ctx, o.Name, ch)
	if err != nil {
		return Org{}, fmt.Errorf("update org %s: %w", o.Name, err)
	}
	details := map[string]string{}
	for k, v := range map[string]bool{"fullname": ch.Fullname != nil, "description": ch.Description != nil,
		"avatarUrl": ch.AvatarURL != nil, "links": ch.Links != nil} {
		if v {
			details[k] = "changed"
		}
	}
	s.audit(ctx, c, o.Name, EventProfileUpdated, details)
	return out, nil
}

// Settings are an organization's security settings.
type Settings struct {
	RequireSignedCommits      bool               `json:"requireSignedCommits"`
	TokenPolicy               access.TokenPolicy `json:"tokenPolicy"`
	AllowSecretsInPushes      bool               `json:"allowSecretsInPushes"`
	AllowServiceSignedCommits bool               `json:"allowServiceSignedCommits"`
	RequireSignedModels       bool               `json:"requireSignedModels"`
}

// SettingsInput is the body of PUT /api/organizations/{org}/settings.
type SettingsInput struct {
	RequireSignedCommits      *bool               `json:"requireSignedCommits"`
	TokenPolicy               *access.TokenPolicy `json:"tokenPolicy"`
	AllowSecretsInPushes      *bool               `json:"allowSecretsInPushes"`
	AllowServiceSignedCommits *bool               `json:"allowServiceSignedCommits"`
	RequireSignedModels       *bool               `json:"requireSignedModels"`
}

func settingsOf(o Org) Settings {
	p := o.TokenPolicy
	if p == "" {
		p = access.PolicyAllowAll
	}
	return Settings{RequireSignedCommits: o.RequireSignedCommits, TokenPolicy: p, AllowSecretsInPushes: o.AllowSecretsInPushes,
		AllowServiceSignedCommits: o.AllowServiceSignedCommits, RequireSignedModels: o.RequireSignedModels}
}

// Settings returns the organization's settings (org.read).
func (s *Service) Settings(ctx context.Context, c access.Caller, name string) (Settings, error) {
	o, _, err := s.authorize(ctx, c, access.OrgRead, name)
	if err != nil {
		return Settings{}, err
	}
	return settingsOf(o), nil
}

// UpdateSettings changes the organization's settings (org.admin).
func (s *Service) UpdateSettings(ctx context.Context, c access.Caller, name string, in SettingsInput) (Settings, error) {
	o, _, err := s.authorize(ctx, c, access.OrgAdmin, name)
	if err != nil {
		return Settings{}, err
	}
	if in.RequireSignedCommits == nil && in.TokenPolicy == nil && in.AllowSecretsInPushes == nil && in.AllowServiceSignedCommits == nil && in.RequireSignedModels == nil {
		return Settings{}, apperr.E(apperr.Invalid, "give requireSignedCommits (true or false), tokenPolicy, allowSecretsInPushes, allowServiceSignedCommits and/or requireSignedModels")
	}
	if in.TokenPolicy != nil && (*in.TokenPolicy == "" || !in.TokenPolicy.Valid()) {
		return Settings{}, apperr.E(apperr.Invalid, "tokenPolicy must be %q, %q or %q",
			access.PolicyAllowAll, access.PolicyFineGrainedOnly, access.PolicyRequireApproval)
	}
	out, err := s.Store.UpdateOrg(ctx, o.Name, Change{RequireSignedCommits: in.RequireSignedCommits, TokenPolicy: in.TokenPolicy, AllowSecretsInPushes: in.AllowSecretsInPushes,
		AllowServiceSignedCommits: in.AllowServiceSignedCommits, RequireSignedModels: in.RequireSignedModels})
	if err != nil {
		return Settings{}, fmt.Errorf("update org %s settings: %w", o.Name, err)
	}
	before, after := settingsOf(o), settingsOf(out)
	if before != after {
		s.audit(ctx, c, o.Name, EventSettingsChanged, map[string]string{"requireSignedCommits": fmt.Sprint(after.RequireSignedCommits),
			"tokenPolicy": string(after.TokenPolicy), "allowSecretsInPushes": fmt.Sprint(after.AllowSecretsInPushes),
			"allowServiceSignedCommits": fmt.Sprint(after.AllowServiceSignedCommits), "requireSignedModels": fmt.Sprint(after.RequireSignedModels)})
	}
	return after, nil
}

// Members lists the organization's members (org.read).
func (s *Service) Members(ctx context.Context, c access.Caller, name string) ([]Member, error) {
	o, _, err := s.authorize(ctx, c, access.OrgRead, name)
	if err != nil {
		return nil, err
	}
	return s.Store.Members(ctx, o.Name)
}

// SetRole adds user to the organization with role, or changes their role
// (org.admin). The last admin cannot be demoted.
func (s *Service) SetRole(ctx context.Context, c access.Caller, name, user string, role access.OrgRole) (Member, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return Member{}, err
	}
	for range attempts {
		o, _, err := s.authorize(ctx, c, access.OrgAdmin, name)
		if err != nil {
			return Member{}, err
		}
		u, err := s.user(ctx, user)
		if err != nil {
			return Member{}, err
		}
		cur, err := s.Store.Member(ctx, o.Name, u.Name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Member{}, fmt.Errorf("read member: %w", err)
		}
		if cur.Role == role {
			return cur, nil
		}
		m := Member{User: u.Name, UserID: u.ID, Role: role, JoinedAt: cur.JoinedAt}
		if m.JoinedAt.IsZero() {
			m.JoinedAt = s.now()
		}
		byAdmin := c.Username
		if strings.EqualFold(c.Username, u.Name) {
			byAdmin = "" // the condition on the target's own role covers it
		}
		err = s.Store.PutMember(ctx, o, m, cur.Role, byAdmin)
		switch {
		case err == nil:
			if cur.Role == "" {
				s.audit(ctx, c, o.Name, EventMemberAdded, map[string]string{"user": u.Name, "role": string(role)})
			} else {
				s.audit(ctx, c, o.Name, EventMemberRole, map[string]string{"user": u.Name, "from": string(cur.Role), "to": string(role)})
			}
			return m, nil
		case errors.Is(err, ErrLastAdmin):
			return Member{}, lastAdmin()
		case errors.Is(err, store.ErrConflict):
			continue // re-read and decide again
		default:
			return Member{}, fmt.Errorf("put member: %w", err)
		}
	}
	return Member{}, errChanged
}

func lastAdmin() error {
	return apperr.E(apperr.Exist, "An organization needs at least one admin: the last admin cannot be demoted or removed, or leave. Make another member admin first")
}

func (s *Service) user(ctx context.Context, name string) (identity.User, error) {
	if err := identity.CheckName("username", name); err != nil {
		return identity.User{}, err
	}
	u, err := s.Users.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return identity.User{}, apperr.E(apperr.NotExist, "No user named %q", name)
	}
	if err != nil {
		return identity.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// RemoveMember removes user from the organization. An admin may remove
// anyone; a member may remove themself (leave). The last admin can do
// neither.
func (s *Service) RemoveMember(ctx context.Context, c access.Caller, name, user string) error {
	if user == "" || len(user) > identity.MaxNameLen {
		return apperr.E(apperr.Invalid, "username must be %d to %d characters long", identity.MinNameLen, identity.MaxNameLen)
	}
	self := c.IsUser() && strings.EqualFold(c.Username, user)
	for range attempts {
		var o Org
		var err error
		byAdmin := ""
		if self {
			// Leaving: any member may, with a credential that may change things.
			if o, _, err = s.authorize(ctx, c, access.OrgRead, name); err != nil {
				return err
			}
			if c.Kind != access.KindSession && c.Role != access.TokenWrite {
				return apperr.E(apperr.Permission, "%s", access.ReasonReadToken)
			}
		} else {
			if o, _, err = s.authorize(ctx, c, access.OrgAdmin, name); err != nil {
				return err
			}
			byAdmin = c.Username
		}
		cur, err := s.Store.Member(ctx, o.Name, user)
		if errors.Is(err, store.ErrNotFound) {
			return apperr.E(apperr.NotExist, "%q is not a member of %s", user, o.Name)
		}
		if err != nil {
			return fmt.Errorf("read member: %w", err)
		}
		err = s.Store.RemoveMember(ctx, o, cur.User, cur.Role, byAdmin)
		switch {
		case err == nil:
			ev := EventMemberRemoved
			if self {
				ev = EventMemberLeft
			}
			s.audit(ctx, c, o.Name, ev, map[string]string{"user": cur.User, "role": string(cur.Role)})
			return nil
		case errors.Is(err, ErrLastAdmin):
			return lastAdmin()
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			continue
		default:
			return fmt.Errorf("remove member: %w", err)
		}
	}
	return errChanged
}

// OrgsOf lists a user's organizations and roles (for whoami-v2).
func (s *Service) OrgsOf(ctx context.Context, user string) ([]Membership, error) {
	if user == "" {
		return nil, nil
	}
	return s.Store.OrgsOf(ctx, user)
}

// AuditLog returns the organization's audit events, newest first (org.admin).
func (s *Service) AuditLog(ctx context.Context, c access.Caller, name string, limit int, cursor string) ([]audit.Event, string, error) {
	o, _, err := s.authorize(ctx, c, access.OrgAdmin, name)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	return s.Audit.Audit(ctx, Subject(o.Name), limit, cursor)
}

func (s *Service) audit(ctx context.Context, c access.Caller, org, typ string, details map[string]string) {
	if s.Audit == nil {
		return
	}
	ev := audit.Event{Subject: Subject(org), At: s.now(), Type: typ, Actor: c.Username, SourceIP: c.SourceIP, Details: details}
	if err := s.Audit.AppendAudit(ctx, ev); err != nil && s.Log != nil {
		s.Log.ErrorContext(ctx, "audit write failed", "type", typ, "err", err)
	}
}
