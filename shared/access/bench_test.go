package access

import "testing"

var sink Decision

func BenchmarkDecide(b *testing.B) {
	orgs := map[string]OrgRole{"acme": RoleWrite, "zeta": RoleRead, "huggingface": RoleAdmin}
	cases := []struct {
		p Principal
		a Action
		r Resource
	}{
		{Anonymous(), RepoRead, Repo("acme", "bert", RepoModel, false, OwnerOrg)},
		{UserToken("alice", TokenRead, orgs), RepoRead, Repo("acme", "bert", RepoModel, true, OwnerOrg)},
		{UserToken("alice", TokenWrite, orgs), RepoWrite, Repo("acme", "bert", RepoModel, true, OwnerOrg)},
		{UserToken("alice", TokenWrite, orgs), RepoWrite, Repo("bob", "x", RepoDataset, true, OwnerUser)},
		{Session("alice", orgs), OrgAdmin, Org("huggingface")},
		{OrgToken("acme"), Inference, Repo("acme", "bert", RepoModel, true, OwnerOrg)},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := cases[i%len(cases)]
		sink = Decide(c.p, c.a, c.r)
		i++
	}
}
