package access_test

import (
	"fmt"
	"strings"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/httpapi"
)

func ExampleDecide() {
	// Facts loaded for this request: alice's memberships now, the repo's owner
	// and visibility.
	alice := access.UserToken("alice", access.TokenWrite, map[string]access.OrgRole{"acme": access.RoleRead})
	repo := access.Repo("acme", "bert", access.RepoModel, true, access.OwnerOrg)

	show(access.Decide(alice, access.RepoRead, repo))
	show(access.Decide(alice, access.RepoWrite, repo))
	show(access.Decide(access.OrgToken("zeta"), access.RepoRead, repo))
	show(access.Decide(access.Anonymous(), access.RepoRead, repo))
	// Output:
	// true 200
	// false 403 You do not have write access to this namespace.
	// false 404 Repository not found.
	// false 401 Authentication required.
}

// show prints a decision as the HTTP edge answers it.
func show(d access.Decision) {
	status := 200
	if !d.Allow {
		status = httpapi.Status(d.Kind)
	}
	fmt.Println(strings.TrimSpace(fmt.Sprint(d.Allow, " ", status, " ", d.Reason)))
}
