// Package repohttp is the HTTP face of the repo package: the repos function
// (/api/repos/create, /delete, /move and the Hub's repo info and settings
// routes), in the request and response shapes the huggingface_hub and
// huggingface.js clients use.
package repohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/apperr"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
	"github.com/hubsec/trustlayer/shared/principal"
	"github.com/hubsec/trustlayer/shared/repo"
)

type api struct {
	svc       *repo.Service
	log       *slog.Logger
	publicURL string
	index     *files.Service // the file index, for the repo info; may be nil
	ext       Extension
}

// Extension is what other domains add to the repos function: routes, and
// the model signature of repo info (issue 21).
type Extension struct {
	Register func(mux *http.ServeMux)
	// ModelSignature answers the signature summary of a commit (nil:
	// none recorded).
	ModelSignature func(ctx context.Context, r repo.Repo, commit string) (any, error)
}

// routeTypes maps the Hub's plural path segment to a repository type.
var routeTypes = map[string]access.RepoType{
	"models": access.RepoModel, "datasets": access.RepoDataset, "spaces": access.RepoSpace,
}

// Handler returns the repos function's handler, behind principal.Middleware.
// publicURL is the base of the repository URLs it answers with.
func Handler(svc *repo.Service, log *slog.Logger, publicURL string) http.Handler {
	return HandlerWithFiles(svc, log, publicURL, nil)
}

// HandlerWithFiles is Handler whose repo info carries sha, siblings and
// securityRepoStatus from the file index (nil: sha null, no siblings).
func HandlerWithFiles(svc *repo.Service, log *slog.Logger, publicURL string, index *files.Service) http.Handler {
	return HandlerWith(svc, log, publicURL, index, Extension{})
}

// HandlerWith is HandlerWithFiles with ext's routes and repo info fields.
func HandlerWith(svc *repo.Service, log *slog.Logger, publicURL string, index *files.Service, ext Extension) http.Handler {
	a := &api{svc: svc, log: log, publicURL: strings.TrimRight(publicURL, "/"), index: index, ext: ext}
	mux := http.NewServeMux()
	if ext.Register != nil {
		ext.Register(mux)
	}
	mux.HandleFunc("POST /api/repos/create", a.create)
	mux.HandleFunc("DELETE /api/repos/delete", a.delete)
	mux.HandleFunc("POST /api/repos/move", a.move)
	for seg, typ := range routeTypes {
		mux.HandleFunc("GET /api/"+seg, a.list(typ, seg))
		mux.HandleFunc("GET /api/"+seg+"/{namespace}/{name}", a.info(typ))
		mux.HandleFunc("GET /api/"+seg+"/{namespace}/{name}/revision/{revision...}", a.info(typ))
		mux.HandleFunc("GET /api/"+seg+"/{namespace}/{name}/auth-check", a.authCheck(typ))
		mux.HandleFunc("PUT /api/"+seg+"/{namespace}/{name}/settings", a.settings(typ))
	}
	mux.Handle("/", httpapi.NotFound(log))
	return principal.Middleware(mux, a.fail)
}

func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, a.log, err)
}

// URL returns a repository's web URL as the Hub writes it: models at the
// root, datasets and spaces under their prefix.
func URL(base string, typ access.RepoType, ns, name string) string {
	switch typ {
	case access.RepoDataset:
		return base + "/datasets/" + ns + "/" + name
	case access.RepoSpace:
		return base + "/spaces/" + ns + "/" + name
	}
	return base + "/" + ns + "/" + name
}

// createBody is the body of POST /api/repos/create. huggingface_hub sends
// private, huggingface.js may send visibility; both are accepted. Fields the
// clients send for features this hub does not have are accepted and ignored
// when they cannot widen access, refused otherwise.
type createBody struct {
	Name         string  `json:"name"`
	Organization *string `json:"organization"`
	Type         *string `json:"type"`
	Private      *bool   `json:"private"`
	Visibility   *string `json:"visibility"`
	SDK          *string `json:"sdk"`

	License            *string         `json:"license"`
	SDKVersion         *string         `json:"sdkVersion"`
	Hardware           json.RawMessage `json:"hardware"`
	StorageTier        json.RawMessage `json:"storageTier"`
	SleepTimeSeconds   json.RawMessage `json:"sleepTimeSeconds"`
	Secrets            json.RawMessage `json:"secrets"`
	Variables          json.RawMessage `json:"variables"`
	LFSMultipartThresh json.RawMessage `json:"lfsmultipartthresh"`
	ResourceGroupID    *string         `json:"resourceGroupId"`
	Files              json.RawMessage `json:"files"`
}

func isEmptyJSON(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null" || string(t) == "[]"
}

func (b createBody) input() (repo.CreateInput, error) {
	in := repo.CreateInput{Name: b.Name}
	if b.Name == "" {
		return in, apperr.E(apperr.Invalid, "name is required")
	}
	if b.Organization != nil {
		in.Namespace = *b.Organization
	}
	typ := ""
	if b.Type != nil {
		typ = *b.Type
	}
	t, err := repo.ParseType(typ)
	if err != nil {
		return in, err
	}
	in.Type = t
	if b.SDK != nil {
		in.SDK = *b.SDK
	}
	private, err := privateOf(b.Private, b.Visibility)
	if err != nil {
		return in, err
	}
	if private != nil {
		in.Private = *private
	}
	if b.ResourceGroupID != nil && *b.ResourceGroupID != "" {
		return in, apperr.E(apperr.Invalid, "resourceGroupId is not supported on this hub")
	}
	if !isEmptyJSON(b.Files) {
		return in, apperr.E(apperr.Invalid, "files cannot be added at creation here; commit them once the repository exists")
	}
	return in, nil
}

type createdJSON struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	ID   string `json:"id"`
}

func (a *api) created(r repo.Repo) createdJSON {
	return createdJSON{URL: URL(a.publicURL, r.Type, r.Namespace, r.Name), Name: r.FullName(), ID: r.ID}
}

func (a *api) create(w http.ResponseWriter, r *http.Request) {
	var b createBody
	if err := httpapi.Decode(r, &b, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	in, err := b.input()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := a.svc.Create(r.Context(), principal.From(r.Context()), in)
	if apperr.KindOf(err) == apperr.Exist {
		// create_repo(exist_ok=True) reads the url of the existing repo.
		httpapi.ErrorWith(w, r, a.log, err, map[string]string{"url": URL(a.publicURL, out.Type, out.Namespace, out.Name)})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, a.created(out))
}

func (a *api) delete(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name         string  `json:"name"`
		Organization *string `json:"organization"`
		Type         *string `json:"type"`
	}
	if err := httpapi.Decode(r, &b, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	c := principal.From(r.Context())
	if b.Name == "" {
		a.fail(w, r, apperr.E(apperr.Invalid, "name is required"))
		return
	}
	typ, err := repo.ParseType(deref(b.Type))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ns := deref(b.Organization)
	if ns == "" {
		ns = c.Username
	}
	if ns == "" {
		a.fail(w, r, apperr.E(apperr.Invalid, "organization is required when the caller is not a user"))
		return
	}
	if err := a.svc.Delete(r.Context(), c, typ, ns, b.Name); err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, map[string]any{"deleted": true})
}

func (a *api) move(w http.ResponseWriter, r *http.Request) {
	var b struct {
		FromRepo string  `json:"fromRepo"`
		ToRepo   string  `json:"toRepo"`
		Type     *string `json:"type"`
	}
	if err := httpapi.Decode(r, &b, 0); err != nil {
		a.fail(w, r, err)
		return
	}
	typ, err := repo.ParseType(deref(b.Type))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	fromNS, fromName, err := repo.SplitID("fromRepo", b.FromRepo)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	toNS, toName, err := repo.SplitID("toRepo", b.ToRepo)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := a.svc.Move(r.Context(), principal.From(r.Context()), typ, fromNS, fromName, toNS, toName)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, a.created(out))
}

// infoJSON is the repo info the Hub clients read (ModelInfo, DatasetInfo,
// SpaceInfo), with the fields this hub knows.
type infoJSON struct {
	ID                    string              `json:"id"`
	ModelID               string              `json:"modelId,omitempty"`
	MongoID               string              `json:"_id"`
	Author                string              `json:"author"`
	Private               bool                `json:"private"`
	Disabled              bool                `json:"disabled"`
	Gated                 bool                `json:"gated"`
	SHA                   *string             `json:"sha"`
	SecurityRepoStatus    *files.RepoSecurity `json:"securityRepoStatus,omitempty"`
	ModelSignature        any                 `json:"modelSignature,omitempty"`
	CreatedAt             time.Time           `json:"createdAt"`
	LastModified          *time.Time          `json:"lastModified,omitempty"`
	Tags                  []string            `json:"tags"`
	Siblings              []files.Sibling     `json:"siblings"`
	CardData              any                 `json:"cardData"`
	SDK                   string              `json:"sdk,omitempty"`
	Downloads             int                 `json:"downloads"`
	Likes                 int                 `json:"likes"`
	RequireSignedCommits  bool                `json:"requireSignedCommits"`
	SignedCommitsRequired bool                `json:"signedCommitsRequired"`
	AllowSecretsInPushes  bool                `json:"allowSecretsInPushes"`
	// AllowServiceSignedCommits is the repository's own setting;
	// ServiceSignedCommitsAllowed the effective one (or the org's).
	AllowServiceSignedCommits   bool `json:"allowServiceSignedCommits"`
	ServiceSignedCommitsAllowed bool `json:"serviceSignedCommitsAllowed"`
	// RequireSignedModels is the repository's own setting;
	// SignedModelsRequired the effective one (or the org's).
	RequireSignedModels  bool `json:"requireSignedModels"`
	SignedModelsRequired bool `json:"signedModelsRequired"`
}

func info(r repo.Repo) infoJSON {
	out := infoJSON{ID: r.FullName(), MongoID: r.ID, Author: r.Namespace, Private: r.Private, CreatedAt: r.CreatedAt,
		Tags: []string{}, Siblings: []files.Sibling{}, SDK: r.SDK,
		RequireSignedCommits: r.RequireSignedCommits, SignedCommitsRequired: r.SignedCommitsRequired(),
		AllowSecretsInPushes: r.AllowSecretsInPushes, AllowServiceSignedCommits: r.AllowServiceSignedCommits,
		ServiceSignedCommitsAllowed: r.ServiceSignedAllowed(), RequireSignedModels: r.RequireSignedModels, SignedModelsRequired: r.SignedModelsRequired()}
	if r.Type == access.RepoModel {
		out.ModelID = r.FullName()
	}
	if !r.LastModified.IsZero() {
		lm := r.LastModified
		out.LastModified = &lm
	}
	return out
}

func (a *api) info(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := a.svc.Info(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		j := info(out)
		if a.index != nil {
			q := r.URL.Query()
			expand := map[string]bool{}
			for _, e := range q["expand[]"] {
				expand[e] = true
			}
			for _, e := range q["expand"] {
				expand[e] = true
			}
			metadata := queryTrue(q.Get("blobs")) || queryTrue(q.Get("files_metadata"))
			security := queryTrue(q.Get("securityStatus")) || expand["securityRepoStatus"]
			snap, found, err := a.index.SnapshotOf(r.Context(), out, r.PathValue("revision"), metadata, security)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			if found {
				sha := snap.SHA
				j.SHA = &sha
				if a.ext.ModelSignature != nil {
					ms, err := a.ext.ModelSignature(r.Context(), out, sha)
					if err != nil {
						a.fail(w, r, err)
						return
					}
					j.ModelSignature = ms
				}
			}
			j.Siblings, j.SecurityRepoStatus = snap.Siblings, snap.Security
			if snap.CardData != nil {
				j.CardData = snap.CardData
			}
		}
		httpapi.JSON(w, http.StatusOK, j)
	}
}

// queryTrue reads a boolean query value as the clients send it (true,
// True, 1).
func queryTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

func (a *api) settings(typ access.RepoType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b settingsBody
		if err := httpapi.Decode(r, &b, 0); err != nil {
			a.fail(w, r, err)
			return
		}
		ch, err := b.change()
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out, err := a.svc.UpdateSettings(r.Context(), principal.From(r.Context()), typ, r.PathValue("namespace"), r.PathValue("name"), ch)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		httpapi.JSON(w, http.StatusOK, map[string]any{"private": out.Private,
			"requireSignedCommits": out.RequireSignedCommits, "signedCommitsRequired": out.SignedCommitsRequired(),
			"allowSecretsInPushes": out.AllowSecretsInPushes, "allowServiceSignedCommits": out.AllowServiceSignedCommits,
			"serviceSignedCommitsAllowed": out.ServiceSignedAllowed(),
			"requireSignedModels":         out.RequireSignedModels, "signedModelsRequired": out.SignedModelsRequired()})
	}
}

// settingsBody is the body of PUT .../settings: huggingface_hub sends
// private, huggingface.js and newer clients visibility.
type settingsBody struct {
	Private              *bool   `json:"private"`
	Visibility           *string `json:"visibility"`
	RequireSignedCommits *bool   `json:"requireSignedCommits"`
	AllowSecretsInPushes *bool   `json:"allowSecretsInPushes"`
	AllowServiceSigned   *bool   `json:"allowServiceSignedCommits"`
	RequireSignedModels  *bool   `json:"requireSignedModels"`
}

func (b settingsBody) change() (repo.SettingsChange, error) {
	ch := repo.SettingsChange{RequireSignedCommits: b.RequireSignedCommits, AllowSecretsInPushes: b.AllowSecretsInPushes,
		AllowServiceSignedCommits: b.AllowServiceSigned, RequireSignedModels: b.RequireSignedModels}
	private, err := privateOf(b.Private, b.Visibility)
	if err != nil {
		return ch, err
	}
	ch.Private = private
	return ch, nil
}

// privateOf reads a body's visibility, sent as private (huggingface_hub) or
// visibility "public"/"private" (huggingface.js): nil when neither is sent.
func privateOf(private *bool, visibility *string) (*bool, error) {
	if visibility == nil {
		return private, nil
	}
	var vp bool
	switch *visibility {
	case "private":
		vp = true
	case "public":
	default:
		return nil, apperr.E(apperr.Invalid, "visibility must be \"public\" or \"private\"")
	}
	if private != nil && *private != vp {
		return nil, apperr.E(apperr.Invalid, "private and visibility disagree; send one of them")
	}
	return &vp, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
