package access

// Action is what a principal wants to do.
type Action string

// Actions. Each names the resource kind Decide expects with it.
const (
	// RepoRead: see a repository, list and download its files, clone, LFS
	// download, see its scan results and commit verification. Resource: Repo.
	RepoRead Action = "repo.read"
	// Inference: call a model through the Inference API; same rule as
	// RepoRead. Resource: Repo.
	Inference Action = "inference"
	// RepoWrite: push, upload, LFS upload, commit files, submit commits for
	// verification. Resource: Repo.
	RepoWrite Action = "repo.write"
	// RepoSettings: change visibility, require signed commits. Resource: Repo.
	RepoSettings Action = "repo.settings"
	// RepoDelete: delete the repository. Resource: Repo.
	RepoDelete Action = "repo.delete"
	// RepoMove: rename or transfer. The handler calls Decide twice and needs
	// both to allow: once with the source Repo, once with the destination
	// Namespace.
	RepoMove Action = "repo.move"
	// RepoCreate: create a repository. Resource: Namespace (the target user
	// or organization).
	RepoCreate Action = "repo.create"
	// OrgRead: see an organization's members and settings. Resource: Org.
	OrgRead Action = "org.read"
	// OrgAdmin: update the profile, add, change and remove members.
	// Resource: Org.
	OrgAdmin Action = "org.admin"
	// OrgTokens: show or refresh the organization's API token. Resource: Org.
	OrgTokens Action = "org.tokens"
	// OrgCreate: create an organization. Resource: Org (the new name).
	OrgCreate Action = "org.create"
	// AccountRead: whoami. Resource: Account.
	AccountRead Action = "account.read"
	// AccountTokens: create, list, rename, refresh and delete one's access
	// tokens. Resource: Account.
	AccountTokens Action = "account.tokens"
	// AccountSettings: signing keys (GPG, SSH), emails, profile, password.
	// Resource: Account.
	AccountSettings Action = "account.settings"
)

// Actions returns every action, in documentation order.
func Actions() []Action {
	return []Action{
		RepoRead, Inference, RepoWrite, RepoSettings, RepoDelete, RepoMove, RepoCreate,
		OrgRead, OrgAdmin, OrgTokens, OrgCreate,
		AccountRead, AccountTokens, AccountSettings,
	}
}

// fits reports whether a applies to a resource of kind k.
func (a Action) fits(k ResourceKind) bool {
	switch a {
	case RepoRead, Inference, RepoWrite, RepoSettings, RepoDelete:
		return k == ResourceRepo
	case RepoMove:
		return k == ResourceRepo || k == ResourceNamespace
	case RepoCreate:
		return k == ResourceNamespace
	case OrgRead, OrgAdmin, OrgTokens, OrgCreate:
		return k == ResourceOrg
	case AccountRead, AccountTokens, AccountSettings:
		return k == ResourceAccount
	}
	return false
}
