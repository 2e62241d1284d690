package access

// ResourceKind is the kind of thing an action applies to.
type ResourceKind uint8

// Resource kinds. The zero value is invalid.
const (
	ResourceInvalid   ResourceKind = iota
	ResourceRepo                   // a repository
	ResourceNamespace              // a user or organization namespace, as a place to create in
	ResourceOrg                    // an organization
	ResourceAccount                // the caller's own account
)

// OwnerKind says whether a namespace belongs to a user or an organization.
type OwnerKind uint8

// Owner kinds. The zero value is invalid.
const (
	OwnerInvalid OwnerKind = iota
	OwnerUser
	OwnerOrg
)

// RepoType is the type of a repository.
type RepoType string

// Repository types.
const (
	RepoModel   RepoType = "model"
	RepoDataset RepoType = "dataset"
	RepoSpace   RepoType = "space"
)

// Resource is what an action applies to. Build it with Repo, Namespace, Org
// or Account.
type Resource struct {
	Kind      ResourceKind
	Namespace string    // repo namespace, target namespace, or org name
	Name      string    // repo name (Repo only)
	Type      RepoType  // repo type (Repo only); not used by Decide
	Private   bool      // Repo only
	Owner     OwnerKind // Repo and Namespace: who owns Namespace
	ID        string    // repository id (Repo only): what repository scopes of fine-grained tokens bind to
	Creator   string    // user id of the repository's creator (Repo only): what the contributor role writes to
	// Policy is the owner organization's token policy (org-owned Repo,
	// org Namespace, Org); "" is PolicyAllowAll.
	Policy TokenPolicy
}

// TokenPolicy is an organization's rule for its members' access tokens.
type TokenPolicy string

// Token policies.
const (
	// PolicyAllowAll: any token of a member acts with the member's rights.
	PolicyAllowAll TokenPolicy = "allow all"
	// PolicyFineGrainedOnly: read and write tokens are refused on the
	// organization's private repositories and for any change.
	PolicyFineGrainedOnly TokenPolicy = "fineGrained only"
	// PolicyRequireApproval: a fine-grained token scoped to the
	// organization is refused there until an admin approves it.
	PolicyRequireApproval TokenPolicy = "require approval"
)

// Valid reports whether t is a known policy ("" counts as allow all).
func (t TokenPolicy) Valid() bool {
	return t == "" || t == PolicyAllowAll || t == PolicyFineGrainedOnly || t == PolicyRequireApproval
}

// With returns r with its facts beyond the name filled in from f.
func (r Resource) With(f RepoFacts) Resource {
	r.ID, r.Creator, r.Policy = f.ID, f.Creator, f.Policy
	return r
}

// Repo returns the repository namespace/name, owned by a user or an org.
func Repo(namespace, name string, typ RepoType, private bool, owner OwnerKind) Resource {
	return Resource{Kind: ResourceRepo, Namespace: namespace, Name: name, Type: typ, Private: private, Owner: owner}
}

// Namespace returns a user or organization namespace as the target of
// RepoCreate or of the second RepoMove check.
func Namespace(name string, owner OwnerKind) Resource {
	return Resource{Kind: ResourceNamespace, Namespace: name, Owner: owner}
}

// Org returns the organization name.
func Org(name string) Resource { return Resource{Kind: ResourceOrg, Namespace: name} }

// Account returns the caller's own account.
func Account() Resource { return Resource{Kind: ResourceAccount} }

// valid reports whether r is complete enough to decide on.
func (r Resource) valid() bool {
	switch r.Kind {
	case ResourceRepo:
		return r.Namespace != "" && r.Name != "" && (r.Owner == OwnerUser || r.Owner == OwnerOrg)
	case ResourceNamespace:
		return r.Namespace != "" && (r.Owner == OwnerUser || r.Owner == OwnerOrg)
	case ResourceOrg:
		return r.Namespace != ""
	case ResourceAccount:
		return true
	}
	return false
}

// RepoFacts is what a decision needs to know of a repository beyond its
// name: its visibility and the kind of its owner.
type RepoFacts struct {
	Private bool
	Owner   OwnerKind
	ID      string      // repository id
	Creator string      // user id of its creator ("" when unknown)
	Policy  TokenPolicy // owner organization's token policy, when loaded
	// Namespace and Name are the repository's canonical spelling, when
	// the source knows it (the stored item does).
	Namespace, Name string
}
