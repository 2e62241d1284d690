package orgddb

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// OrgAccess returns user's role in org ("" when none) and the org's token
// policy, strongly consistent, in one round trip (a BatchGetItem of the
// membership and the profile): what the authorizer needs for a token on
// an organization's resources.
func (s Store) OrgAccess(ctx context.Context, orgName, user string) (access.OrgRole, access.TokenPolicy, error) {
	if orgName == "" {
		return "", "", nil
	}
	keys := []map[string]types.AttributeValue{ddb.Key(orgPK(orgName), orgProfileSK)}
	if user != "" {
		keys = append(keys, ddb.Key(orgPK(orgName), memberSK(user)))
	}
	req := map[string]types.KeysAndAttributes{s.Name: {Keys: keys, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("sk, #r, tokenPolicy"), ExpressionAttributeNames: map[string]string{"#r": "role"}}}
	var role access.OrgRole
	var policy access.TokenPolicy
	for try := 0; len(req) > 0; try++ {
		if try == 3 {
			return "", "", errors.New("org access: keys left unprocessed")
		}
		out, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return "", "", fmt.Errorf("org access %s: %w", orgName, err)
		}
		for _, item := range out.Responses[s.Name] {
			var it struct {
				SK          string `dynamodbav:"sk"`
				Role        string `dynamodbav:"role"`
				TokenPolicy string `dynamodbav:"tokenPolicy"`
			}
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return "", "", fmt.Errorf("decode org access item: %w", err)
			}
			if it.SK == orgProfileSK {
				policy = access.TokenPolicy(it.TokenPolicy)
			} else {
				role = access.OrgRole(it.Role)
			}
		}
		req = out.UnprocessedKeys
	}
	return role, policy, nil
}
