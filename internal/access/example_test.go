package access_test

import (
	"fmt"

	"github.com/hubsec/trustlayer/internal/access"
)

func ExampleDecide() {
	// Facts loaded for this request: alice's memberships now, the repo's owner
	// and visibility.
	alice := access.UserToken("alice", access.TokenWrite, map[string]access.OrgRole{"acme": access.RoleRead})
	repo := access.Repo("acme", "bert", access.RepoModel, true, access.OwnerOrg)

	fmt.Println(access.Decide(alice, access.RepoRead, repo))
	fmt.Println(access.Decide(alice, access.RepoWrite, repo))
	fmt.Println(access.Decide(access.OrgToken("zeta"), access.RepoRead, repo))
	fmt.Println(access.Decide(access.Anonymous(), access.RepoRead, repo))
	// Output:
	// {true 200 }
	// {false 403 You do not have write access to this namespace.}
	// {false 404 Repository not found.}
	// {false 401 Authentication required.}
}
