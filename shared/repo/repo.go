// Package repo is the repository half of the hub: models, datasets and
// spaces in a user or organization namespace, public or private, with the
// "require signed commits" setting. Every change asks access.Decide with
// the facts loaded for this request (the caller's role in the owner
// organization now, the repository's owner and visibility); storage is a
// port (Store) implemented by repoddb.Store.
//
// A repository that does not exist and a private one the caller cannot see
// get the same answer: 401 for an anonymous caller, 404 for anyone else.
package repo

import (
	"context"
	"time"

	"github.com/hubsec/trustlayer/shared/access"
)

// Repo is a repository.
type Repo struct {
	ID                   string
	Type                 access.RepoType
	Namespace            string // owner's name, canonical spelling
	Name                 string
	Owner                access.OwnerKind
	OwnerID              string // user id or organization id
	Private              bool
	RequireSignedCommits bool
	// AllowSecretsInPushes turns off the refusal of pushes that hold a
	// live credential of ours (it is revoked all the same).
	AllowSecretsInPushes bool
	// AllowServiceSignedCommits lets commits the service signed for a
	// user (the commit API) pass requireSignedCommits; off by default.
	AllowServiceSignedCommits bool
	// RequireSignedModels refuses a push (or commit-API commit) that
	// would move the default branch to a commit whose model signature is
	// not verified (docs/model-signing.md).
	RequireSignedModels bool
	SDK                 string // spaces only
	CreatedBy           string // user id of its creator ("" for repositories older than the field)
	CreatedAt           time.Time
	LastModified        time.Time

	// OrgRequireSignedCommits is the owner organization's setting; only
	// Service.Get fills it.
	OrgRequireSignedCommits bool
	// OrgAllowSecretsInPushes is the owner organization's setting; only
	// Service.Get fills it.
	OrgAllowSecretsInPushes bool
	// OrgAllowServiceSignedCommits is the owner organization's setting;
	// only Service.Get fills it.
	OrgAllowServiceSignedCommits bool
	// OrgRequireSignedModels is the owner organization's setting; only
	// Service.Get fills it.
	OrgRequireSignedModels bool
}

// SignedModelsRequired reports the effective model-signature policy: the
// repository or its owner organization requires signed models.
func (r Repo) SignedModelsRequired() bool {
	return r.RequireSignedModels || r.OrgRequireSignedModels
}

// FullName returns "namespace/name".
func (r Repo) FullName() string { return r.Namespace + "/" + r.Name }

// SignedCommitsRequired reports the effective policy: the repository or its
// owner organization requires signed commits.
func (r Repo) SignedCommitsRequired() bool {
	return r.RequireSignedCommits || r.OrgRequireSignedCommits
}

// ServiceSignedAllowed reports whether, under requireSignedCommits, a
// commit the service signed for a user passes (the repository or its
// organization turned allowServiceSignedCommits on).
func (r Repo) ServiceSignedAllowed() bool {
	return r.AllowServiceSignedCommits || r.OrgAllowServiceSignedCommits
}

// SecretsAllowed reports whether a push holding a live credential is
// accepted (after the credential is revoked).
func (r Repo) SecretsAllowed() bool { return r.AllowSecretsInPushes || r.OrgAllowSecretsInPushes }

// Resource returns r as the policy sees it, with the facts a
// fine-grained grant is matched against (id, creator).
func (r Repo) Resource() access.Resource {
	return access.Repo(r.Namespace, r.Name, r.Type, r.Private, r.Owner).With(r.Facts())
}

// Facts returns what a decision needs to know of r beyond its name (the
// owner organization's token policy is not r's to know: callers that load
// it add it).
func (r Repo) Facts() access.RepoFacts {
	return access.RepoFacts{Private: r.Private, Owner: r.Owner, ID: r.ID, Creator: r.CreatedBy, Namespace: r.Namespace, Name: r.Name}
}

// Namespace is a user or organization name as a place for repositories.
type Namespace struct {
	Name string // canonical spelling
	Kind access.OwnerKind
	ID   string // user id or organization id
}

// Subject returns the audit subject of the namespace's owner: "user:<id>"
// or "org:<name>".
func (n Namespace) Subject() string {
	if n.Kind == access.OwnerOrg {
		return "org:" + n.Name
	}
	return "user:" + n.ID
}

// SettingsChange is a partial update of a repository's settings.
type SettingsChange struct {
	Private              *bool `json:"private"`
	RequireSignedCommits *bool `json:"requireSignedCommits"`
	AllowSecretsInPushes *bool `json:"allowSecretsInPushes"`
	// AllowServiceSignedCommits: see Repo.
	AllowServiceSignedCommits *bool `json:"allowServiceSignedCommits"`
	// RequireSignedModels: see Repo.
	RequireSignedModels *bool `json:"requireSignedModels"`
}

// Store is what the service needs from storage. Not-found is
// store.ErrNotFound, a taken repository name *store.ExistsError.
type Store interface {
	// Namespace resolves a user or organization name (any letter case)
	// through its name claim.
	Namespace(ctx context.Context, name string) (Namespace, error)

	// CreateRepo stores r on condition that no repository of its type has
	// its name in its namespace (letter case ignored) and that the
	// namespace's claim is still r's owner.
	CreateRepo(ctx context.Context, r Repo) error
	// Repo reads a repository (strongly consistent).
	Repo(ctx context.Context, typ access.RepoType, namespace, name string) (Repo, error)
	// DeleteRepo deletes r on condition that it is still the same
	// repository (same id).
	DeleteRepo(ctx context.Context, r Repo) error
	// MoveRepo renames or transfers from to to in one transaction, keeping
	// id and settings; *store.ExistsError when the destination is taken,
	// store.ErrNotFound when the source changed or a namespace is gone.
	MoveRepo(ctx context.Context, from, to Repo) error
	// UpdateRepo applies ch to r (same id) and returns it as stored.
	UpdateRepo(ctx context.Context, r Repo, ch SettingsChange, at time.Time) (Repo, error)
	// ReposOf lists a namespace's repositories of every type, all of them.
	ReposOf(ctx context.Context, namespace string) ([]Repo, error)
	// ReposOfType lists a namespace's repositories of one type in
	// lower-case name order after the cursor after, reading at most limit;
	// more reports that the list goes on.
	ReposOfType(ctx context.Context, namespace string, typ access.RepoType, after string, limit int) (repos []Repo, more bool, err error)
	// PublicRepos lists public repositories of a type in lower-case
	// "ns/name" order after the cursor after, limit read at a time,
	// keeping those whose "ns/name" contains search; next is "" on the
	// last page.
	PublicRepos(ctx context.Context, typ access.RepoType, search, after string, limit int) (repos []Repo, next string, err error)
}

// Orgs is what repositories need to know of organizations.
type Orgs interface {
	// OrgRole returns user's role in org now, "" for none.
	OrgRole(ctx context.Context, org, user string) (access.OrgRole, error)
	// OrgRequiresSignedCommits reads an organization's setting.
	OrgRequiresSignedCommits(ctx context.Context, org string) (bool, error)
}

// Audit event types, recorded on the owner's subject.
const (
	EventCreated         = "repo.created"
	EventDeleted         = "repo.deleted"
	EventMoved           = "repo.moved"
	EventSettingsChanged = "repo.settings_changed"
)
