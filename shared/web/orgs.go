package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
)

type orgForm struct{ Name, Fullname string }

func (s *Site) newOrgForm(w http.ResponseWriter, r *http.Request, _ params) {
	if _, ok := s.caller(w, r); !ok {
		return
	}
	s.render(w, r, http.StatusOK, "neworg", "New organization", orgForm{}, "")
}

func (s *Site) newOrg(w http.ResponseWriter, r *http.Request, _ params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	in := org.CreateInput{Name: strings.TrimSpace(r.PostFormValue("name")), Fullname: strings.TrimSpace(r.PostFormValue("fullname"))}
	o, err := s.svc.Orgs.Create(r.Context(), c, in)
	if err != nil {
		s.formError(w, r, "neworg", "New organization", orgForm{Name: in.Name, Fullname: in.Fullname}, err)
		return
	}
	see(w, r, "/organizations/"+url.PathEscape(o.Name)+"/settings/members")
}

type nsData struct {
	Name  string
	Org   *org.Org
	Repos []repo.Repo
	Admin bool
}

// namespace is a user's or an organization's page: its profile and the
// repositories the caller may see.
func (s *Site) namespace(w http.ResponseWriter, r *http.Request, p params) {
	ctx := r.Context()
	ns, err := s.svc.Namespaces.Namespace(ctx, p["namespace"])
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.notFound(w, r)
			return
		}
		s.fail(w, r, err)
		return
	}
	d := nsData{Name: ns.Name}
	c := s.principalOf(r)
	if ns.Kind == access.OwnerOrg {
		o, err := s.svc.Orgs.Get(ctx, ns.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Org = &o
		if c.User != "" {
			role, err := s.svc.OrgRoles.OrgRole(ctx, ns.Name, c.User)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if role != "" {
				c.Orgs = map[string]access.OrgRole{ns.Name: role}
			}
			d.Admin = role == access.RoleAdmin
		}
	}
	repos, err := s.svc.Namespaces.ReposOf(ctx, ns.Name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, rp := range repos {
		// The one policy decides which repositories this caller sees.
		if access.Decide(c, access.RepoRead, rp.Resource()).Allow {
			d.Repos = append(d.Repos, rp)
		}
	}
	s.render(w, r, http.StatusOK, "namespace", ns.Name, d, "")
}

type membersData struct {
	Org      string
	Members  []org.Member
	Admin    bool
	Me       string
	Invite   string
	LastRule bool // explain the last-admin rule
}

func (s *Site) members(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	s.showMembers(w, r, c, p["org"], "", membersData{}, nil)
}

func (s *Site) showMembers(w http.ResponseWriter, r *http.Request, c access.Caller, name, flash string, d membersData, formErr error) {
	ms, err := s.svc.Orgs.Members(r.Context(), c, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Org, d.Members, d.Me = name, ms, c.Username
	for _, m := range ms {
		if strings.EqualFold(m.User, c.Username) && m.Role == access.RoleAdmin {
			d.Admin = true
		}
	}
	if formErr != nil {
		d.LastRule = isKind(formErr, apperr.Exist) && strings.Contains(apperr.Public(formErr), "admin")
		s.formError(w, r, "members", name+" members", d, formErr)
		return
	}
	s.render(w, r, http.StatusOK, "members", name+" members", d, flash)
}

func (s *Site) invite(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	user := strings.TrimSpace(r.PostFormValue("username"))
	m, err := s.svc.Orgs.SetRole(r.Context(), c, p["org"], user, access.OrgRole(r.PostFormValue("role")))
	if err != nil {
		s.showMembers(w, r, c, p["org"], "", membersData{Invite: user}, err)
		return
	}
	s.showMembers(w, r, c, p["org"], m.User+" is now a member with role "+string(m.Role)+".", membersData{}, nil)
}

func (s *Site) setRole(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	m, err := s.svc.Orgs.SetRole(r.Context(), c, p["org"], p["username"], access.OrgRole(r.PostFormValue("role")))
	if err != nil {
		s.showMembers(w, r, c, p["org"], "", membersData{}, err)
		return
	}
	s.showMembers(w, r, c, p["org"], m.User+" now has role "+string(m.Role)+".", membersData{}, nil)
}

func (s *Site) removeMember(w http.ResponseWriter, r *http.Request, p params) {
	c, ok := s.caller(w, r)
	if !ok {
		return
	}
	if err := s.svc.Orgs.RemoveMember(r.Context(), c, p["org"], p["username"]); err != nil {
		s.showMembers(w, r, c, p["org"], "", membersData{}, err)
		return
	}
	if strings.EqualFold(p["username"], c.Username) {
		see(w, r, "/"+url.PathEscape(p["org"]))
		return
	}
	s.showMembers(w, r, c, p["org"], p["username"]+" was removed.", membersData{}, nil)
}
