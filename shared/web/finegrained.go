package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// scopeRows is how many scopes the New token form offers. A form without
// JavaScript cannot grow, and more scopes are for the JSON API.
const scopeRows = 3

// scopeForm is one scope row of the New token form as the user filled it.
type scopeForm struct {
	Index int
	Type  string
	Name  string
	Perms map[string]bool
}

// entityTypes are the scope entity types the form offers.
func entityTypes() []access.EntityType {
	return []access.EntityType{access.EntityModel, access.EntityDataset, access.EntitySpace, access.EntityOrg, access.EntityUser}
}

// scopedPermissions are the permissions a scope row offers (all but the
// global-only ones).
func scopedPermissions() []access.Permission {
	var out []access.Permission
	for _, p := range access.AllPermissions() {
		if !p.GlobalPermission() {
			out = append(out, p)
		}
	}
	return out
}

// emptyScopes returns the form's blank scope rows.
func emptyScopes() []scopeForm {
	out := make([]scopeForm, scopeRows)
	for i := range out {
		out[i] = scopeForm{Index: i, Type: string(access.EntityModel), Perms: map[string]bool{}}
	}
	return out
}

// readScopes reads the scope rows of a posted form. A row with neither a
// name nor a permission is unused; anything else goes to the service,
// which says what is wrong with it.
func readScopes(r *http.Request) ([]scopeForm, []identity.ScopeInput) {
	rows := emptyScopes()
	var in []identity.ScopeInput
	for i := range rows {
		f := fmt.Sprintf("scope%d_", i)
		rows[i].Type = r.PostFormValue(f + "type")
		rows[i].Name = strings.TrimSpace(r.PostFormValue(f + "name"))
		perms := r.PostForm[f+"perm"]
		for _, p := range perms {
			rows[i].Perms[p] = true
		}
		if rows[i].Name == "" && len(perms) == 0 {
			continue
		}
		in = append(in, identity.ScopeInput{Entity: identity.EntityInput{Type: rows[i].Type, Name: rows[i].Name}, Permissions: perms})
	}
	return rows, in
}

// readExpiry reads the optional expiry date (a date input's YYYY-MM-DD):
// the token expires at the start of that day, UTC.
func readExpiry(v string) (*time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil, apperr.E(apperr.Invalid, "Expires must be a date like 2027-01-31")
	}
	return &t, nil
}

// tokenForm reads the New token form into the service's input; data is
// the form as filled, to show again on an error.
func tokenForm(r *http.Request) (identity.CreateTokenInput, tokensData, error) {
	in := identity.CreateTokenInput{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role")}
	d := tokensData{Name: in.Name, Role: in.Role, Expires: strings.TrimSpace(r.PostFormValue("expires")), Inference: r.PostFormValue("inference") != ""}
	var scoped []identity.ScopeInput
	d.Scopes, scoped = readScopes(r)
	exp, err := readExpiry(d.Expires)
	if err != nil {
		return in, d, err
	}
	in.ExpiresAt = exp
	if in.Role != string(access.TokenFineGrained) {
		if len(scoped) > 0 || d.Inference {
			return in, d, apperr.E(apperr.Invalid, "Permissions are for role fineGrained only: choose that role, or clear the permissions")
		}
		return in, d, nil
	}
	fg := &identity.FineGrainedInput{Scoped: scoped}
	if d.Inference {
		fg.Global = []string{string(access.PermInference)}
	}
	in.FineGrained = fg
	return in, d, nil
}

// tokenRow is a token as the list shows it.
type tokenRow struct {
	identity.Token
	Scopes  []string // "model alice/bert: repo.content.read, repo.write"
	Global  []string
	Pending []string // organizations whose approval it waits for
	Expired bool
}

// tokenRows adds each fine-grained token's permission summary, with the
// current names of its repositories.
func (s *Site) tokenRows(ctx context.Context, list []identity.Token) ([]tokenRow, error) {
	now := time.Now()
	out := make([]tokenRow, 0, len(list))
	for _, t := range list {
		row := tokenRow{Token: t, Expired: t.Expired(now)}
		if t.Grant != nil {
			g, err := s.svc.Identity.ShownGrant(ctx, t.Grant)
			if err != nil {
				return nil, err
			}
			for _, sc := range g.Scoped {
				ps := make([]string, len(sc.Permissions))
				for i, p := range sc.Permissions {
					ps[i] = string(p)
				}
				row.Scopes = append(row.Scopes, fmt.Sprintf("%s %s: %s", sc.Type, sc.Name, strings.Join(ps, ", ")))
			}
			for _, p := range g.Global {
				row.Global = append(row.Global, string(p))
			}
			row.Pending = g.Pending
		}
		out = append(out, row)
	}
	return out, nil
}
