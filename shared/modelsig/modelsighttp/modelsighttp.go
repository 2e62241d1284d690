// Package modelsighttp is the HTTP face of the model signatures: a
// commit's signature status, and the model signers an account or an
// organization trusts.
package modelsighttp

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
)

// Orgs checks a caller's right on an organization (*org.Service).
type Orgs interface {
	Authorize(ctx context.Context, c access.Caller, a access.Action, name string) (string, error)
}

// API serves the routes.
type API struct {
	Sigs  *modelsig.Service
	Repos *repo.Service
	Index *files.Service
	Orgs  Orgs
	Log   *slog.Logger
}

// Register adds the routes to mux.
func Register(mux *http.ServeMux, a *API) {
	for seg, typ := range map[string]access.RepoType{"models": access.RepoModel, "datasets": access.RepoDataset, "spaces": access.RepoSpace} {
		mux.HandleFunc("GET /api/"+seg+"/{namespace}/{name}/model-signature/{revision...}", a.status(typ))
	}
	mux.HandleFunc("GET /api/settings/model-signers", a.list(false))
	mux.HandleFunc("POST /api/settings/model-signers", a.add(false))
	mux.HandleFunc("DELETE /api/settings/model-signers/{id}", a.remove(false))
	mux.HandleFunc("GET /api/organizations/{org}/settings/model-signers", a.list(true))
	mux.HandleFunc("POST /api/organizations/{org}/settings/model-signers", a.add(true))
	mux.HandleFunc("DELETE /api/organizations/{org}/settings/model-signers/{id}", a.remove(true))
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, a.Log, err)
}

// OwnerOf is the namespace whose signers judge r's signatures.
func OwnerOf(r repo.Repo) modelsig.Owner {
	if r.Owner == access.OwnerOrg {
		return modelsig.Owner{Type: "org", Name: r.Namespace}
	}
	return modelsig.Owner{Type: "user", Name: r.Namespace}
}

// Summary answers r's signature at a commit for repo info (nil when the
// commit was never checked).
func (a *API) Summary(ctx context.Context, r repo.Repo, commit string) (*modelsig.Summary, error) {
	j, ok, err := a.Sigs.Status(ctx, r.ID, OwnerOf(r), commit)
	if err != nil || !ok {
		return nil, err
	}
	s := j.Summary()
	return &s, nil
}

func (a *API) status(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rp, err := a.Repos.Info(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		// The commit alone: its file list and card are not needed.
		commit, err := a.Index.ResolveIn(r.Context(), rp, r.PathValue("revision"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		j, ok, err := a.Sigs.Status(r.Context(), rp.ID, OwnerOf(rp), commit)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !ok {
			a.fail(w, r, apperr.E(apperr.NotExist, "The model signature of %s was not checked (pushed before the check existed, or still being checked)", commit))
			return
		}
		httpapi.JSON(w, http.StatusOK, j)
	}
}

// namespace is the account (a session's user) or organization (admin
// to change, member to read) whose list a request names.
func (a *API) namespace(r *http.Request, org bool, act access.Action) (string, error) {
	c := principal.From(r.Context())
	if org {
		return a.Orgs.Authorize(r.Context(), c, act, r.PathValue("org"))
	}
	if c.Kind != access.KindSession || c.Username == "" {
		return "", apperr.E(apperr.Permission, "Model signers are managed from a logged-in session")
	}
	return c.Username, nil
}

func orgAction(write bool) access.Action {
	if write {
		return access.OrgAdmin
	}
	return access.OrgRead
}

func (a *API) list(org bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := a.namespace(r, org, orgAction(false))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out, err := a.Sigs.Signers(r.Context(), ns)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		httpapi.JSON(w, http.StatusOK, out)
	}
}

type addBody struct {
	Type           string `json:"type"`
	Name           string `json:"name"`
	PublicKey      string `json:"publicKey"`
	CACertificates string `json:"caCertificates"`
	Identity       string `json:"identity"`
	Issuer         string `json:"issuer"`
}

func (a *API) add(org bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := a.namespace(r, org, orgAction(true))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		var b addBody
		if err := httpapi.Decode(r, &b, 256<<10); err != nil {
			a.fail(w, r, err)
			return
		}
		s, err := a.Sigs.AddSigner(r.Context(), ns, principal.From(r.Context()).Username, modelsig.Signer{Type: b.Type, Name: b.Name,
			PublicKey: b.PublicKey, CACertificates: b.CACertificates, Identity: b.Identity, Issuer: b.Issuer})
		if err != nil {
			a.fail(w, r, err)
			return
		}
		httpapi.JSON(w, http.StatusCreated, s)
	}
}

func (a *API) remove(org bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := a.namespace(r, org, orgAction(true))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if err := a.Sigs.RemoveSigner(r.Context(), ns, r.PathValue("id"), principal.From(r.Context()).Username); err != nil {
			a.fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
