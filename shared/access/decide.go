package access

import (
	"fmt"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Decision is the answer of Decide. Reason is a short sentence fit to send to
// the caller; it never says whether a private repository exists.
type Decision struct {
	Allow  bool
	Kind   apperr.Kind // of a denial: Unauthenticated, Permission, NotExist (Internal for a caller bug)
	Reason string
	Code   string // client error code of a denial (apperr.Code...), "" for none
	// PendingOrg names the organization whose approval a fine-grained
	// token waits for, when that is the reason of the denial.
	PendingOrg string
}

// Err returns a denial as an error of its kind carrying its reason, or nil
// when d allows.
func (d Decision) Err() *apperr.Error {
	if d.Allow {
		return nil
	}
	e := apperr.E(d.Kind, "%s", d.Reason)
	e.Code = d.Code
	return e
}

// Reasons given with denials.
const (
	ReasonLogin        = "Authentication required."
	ReasonNotFound     = "Repository not found."
	ReasonReadToken    = "This access token has the read role; use a write token."
	ReasonOrgToken     = "Organization API tokens can only read."
	ReasonSessionOnly  = "This needs a logged-in session; access tokens cannot do it."
	ReasonNoWrite      = "You do not have write access to this namespace."
	ReasonNotMember    = "You are not a member of this organization."
	ReasonNotAdmin     = "This needs the admin role in the organization."
	ReasonContributor  = "Contributors can only write to the repositories they created."
	ReasonInvalidInput = "Internal error."
)

var (
	allow    = Decision{Allow: true}
	login    = Decision{Kind: apperr.Unauthenticated, Reason: ReasonLogin}
	notFound = Decision{Kind: apperr.NotExist, Reason: ReasonNotFound, Code: apperr.CodeRepoNotFound}
	// repoLogin is login for a repository the anonymous caller cannot
	// see: clients read its code as "repository not found".
	repoLogin   = Decision{Kind: apperr.Unauthenticated, Reason: ReasonLogin, Code: apperr.CodeRepoNotFound}
	invalid     = Decision{Kind: apperr.Internal, Reason: ReasonInvalidInput}
	sessionOnly = forbid(ReasonSessionOnly)
	noWrite     = forbid(ReasonNoWrite)
	notMember   = forbid(ReasonNotMember)
	notAdmin    = forbid(ReasonNotAdmin)
)

func forbid(reason string) Decision {
	return Decision{Kind: apperr.Permission, Reason: reason}
}

// Decide says whether p may do a to r. It is a pure function of its
// arguments. An action applied to the wrong kind of resource, or an
// incomplete principal or resource, is a caller bug and gets a 500 denial.
func Decide(p Principal, a Action, r Resource) Decision {
	if !p.valid() || !r.valid() || !a.fits(r.Kind) {
		return invalid
	}
	if p.fineGrained() {
		// The owner's rights now, as a write token has them, narrowed by
		// the grant: demoting the owner narrows the token at once.
		owner := p
		owner.Role, owner.Grant = TokenWrite, nil
		if d := decide(owner, a, r); !d.Allow {
			return d
		}
		return decideGrant(p, a, r)
	}
	d := decide(p, a, r)
	if d.Allow && p.Kind == KindUserToken && r.Policy == PolicyFineGrainedOnly && p.role(r.Namespace) != "" &&
		!(r.Kind == ResourceRepo && !r.Private && (a == RepoRead || a == Inference)) {
		return forbid(fmt.Sprintf("Organization %s accepts only fine-grained tokens from its members; this is a %s token.", r.Namespace, p.Role))
	}
	return d
}

// ReadTokenReason is the denial of a change asked with a read token.
func ReadTokenReason(a Action, r Resource) string {
	what := ""
	switch a {
	case RepoWrite:
		what = "push or upload to " + r.Entity()
	case RepoSettings:
		what = "change the settings of " + r.Entity()
	case RepoDelete:
		what = "delete " + r.Entity()
	case RepoMove:
		what = "move repositories"
	case RepoCreate:
		what = "create repositories in " + r.Entity()
	case OrgAdmin:
		what = "administer " + r.Entity()
	case OrgCreate:
		what = "create organizations"
	default:
		return ReasonReadToken
	}
	return fmt.Sprintf("read token cannot %s. %s", what, ReasonReadToken)
}

// decide is the policy for every principal but a fine-grained token's
// grant.
func decide(p Principal, a Action, r Resource) Decision {
	switch a {
	case RepoRead, Inference:
		return read(p, r)
	case RepoWrite, RepoSettings, RepoDelete, RepoMove, RepoCreate:
		if r.Kind == ResourceRepo {
			if d := read(p, r); !d.Allow {
				return d
			}
		}
		return write(p, a, r)
	case OrgRead:
		return orgRead(p, r.Namespace)
	case OrgAdmin, OrgTokens:
		if p.Kind == KindAnonymous {
			return login
		}
		if d := writer(p, a, r); !d.Allow {
			return d
		}
		if a == OrgTokens && p.Kind != KindSession {
			return sessionOnly
		}
		if p.role(r.Namespace) != RoleAdmin {
			return notAdmin
		}
		return allow
	case OrgCreate:
		if p.Kind == KindAnonymous {
			return login
		}
		return writer(p, a, r)
	case AccountRead:
		if p.Kind == KindAnonymous {
			return login
		}
		return allow
	case AccountTokens, AccountSettings:
		if p.Kind == KindAnonymous {
			return login
		}
		if p.Kind != KindSession {
			return sessionOnly
		}
		return allow
	}
	return invalid
}

// read decides whether p may read repository r.
func read(p Principal, r Resource) Decision {
	if canRead(p, r) {
		return allow
	}
	if p.Kind == KindAnonymous {
		return repoLogin
	}
	return notFound
}

func canRead(p Principal, r Resource) bool {
	if !r.Private {
		return true
	}
	switch r.Owner {
	case OwnerUser:
		return p.isUser() && p.User == r.Namespace
	case OwnerOrg:
		return p.role(r.Namespace) != "" || (p.Kind == KindOrgToken && p.Org == r.Namespace)
	}
	return false
}

// write decides whether p may write in r's namespace (r is a Repo or a
// Namespace).
func write(p Principal, a Action, r Resource) Decision {
	if p.Kind == KindAnonymous {
		return login
	}
	if d := writer(p, a, r); !d.Allow {
		return d
	}
	switch r.Owner {
	case OwnerUser:
		if p.User == r.Namespace {
			return allow
		}
	case OwnerOrg:
		switch p.role(r.Namespace) {
		case RoleWrite, RoleAdmin:
			return allow
		case RoleContributor:
			// Create in the organization; change (never move away) what
			// one created.
			if a == RepoCreate || (r.Kind == ResourceRepo && a != RepoMove && r.Creator != "" && r.Creator == p.UserID) {
				return allow
			}
			return forbid(ReasonContributor)
		}
	}
	return noWrite
}

// writer decides whether p's credential may change anything at all; p is
// not anonymous.
func writer(p Principal, a Action, r Resource) Decision {
	switch {
	case p.canWrite():
		return allow
	case p.Kind == KindOrgToken:
		return forbid(ReasonOrgToken)
	default:
		return forbid(ReadTokenReason(a, r))
	}
}

// orgRead decides whether p may see the members and settings of org.
func orgRead(p Principal, org string) Decision {
	switch {
	case p.Kind == KindAnonymous:
		return login
	case p.Kind == KindOrgToken && p.Org == org, p.role(org) != "":
		return allow
	}
	return notMember
}
