package orgddb

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// policyItem is an organization's token policy in a small item of its own
// (pk ORGPOLICY#<lower name>, sk POLICY), apart from the profile and the
// memberships: the authorizer reads it for user tokens on the
// organization's resources, and its partition carries no other traffic.
// The profile keeps a copy for the settings pages; both are written in
// one transaction.
type policyItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	TokenPolicy string `dynamodbav:"tokenPolicy"`
}

const policySK = "POLICY"

func policyPK(name string) string { return "ORGPOLICY#" + ddb.Lower(name) }

func (s Store) policyPut(name string, p access.TokenPolicy) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name),
		Item: ddb.Marshal(policyItem{PK: policyPK(name), SK: policySK, TokenPolicy: string(p)})}}
}

// OrgTokenPolicy reads an organization's token policy, strongly
// consistent, from its policy item (authz.TokenPolicySource). An
// organization created before policy items existed has none: its profile
// is read instead.
func (s Store) OrgTokenPolicy(ctx context.Context, name string) (access.TokenPolicy, error) {
	var it policyItem
	err := s.Get(ctx, policyPK(name), policySK, &it)
	if err == nil {
		return access.TokenPolicy(it.TokenPolicy), nil
	}
	if !errors.Is(err, ddb.ErrNoItem) {
		return "", fmt.Errorf("org token policy %s: %w", name, err)
	}
	var prof struct {
		TokenPolicy string `dynamodbav:"tokenPolicy"`
	}
	if err := s.Get(ctx, orgPK(name), orgProfileSK, &prof); err != nil {
		if errors.Is(err, ddb.ErrNoItem) {
			return "", nil
		}
		return "", fmt.Errorf("org token policy %s: %w", name, err)
	}
	return access.TokenPolicy(prof.TokenPolicy), nil
}
