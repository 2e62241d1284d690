package identityddb

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

var _ identity.ApprovalStore = Store{}

// approvalItem is a token waiting for an organization's approval:
// pk TOKENAPPROVAL#<ddb.Lower(org)>, sk <tokenId>.
type approvalItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	UserID    string    `dynamodbav:"userId"`
	Username  string    `dynamodbav:"username"`
	TokenName string    `dynamodbav:"tokenName"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	TTL       int64     `dynamodbav:"ttl,omitempty"`
}

func approvalPK(org string) string { return "TOKENAPPROVAL#" + ddb.Lower(org) }

func approvalItems(t identity.Token) []approvalItem {
	if t.Grant == nil {
		return nil
	}
	var out []approvalItem
	for _, org := range t.Grant.Pending {
		it := approvalItem{PK: approvalPK(org), SK: t.ID, UserID: t.UserID, Username: t.Username, TokenName: t.Name, CreatedAt: t.CreatedAt}
		if !t.ExpiresAt.IsZero() {
			it.TTL = t.ExpiresAt.Unix()
		}
		out = append(out, it)
	}
	return out
}

func (it approvalItem) domain() identity.Approval {
	return identity.Approval{Org: it.PK[len("TOKENAPPROVAL#"):], TokenID: it.SK, UserID: it.UserID, Username: it.Username,
		TokenName: it.TokenName, CreatedAt: it.CreatedAt}
}

// TokenApprovals lists the tokens waiting for org's approval.
func (s Store) TokenApprovals(ctx context.Context, org string) ([]identity.Approval, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk"),
		ConsistentRead:            aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": ddb.S(approvalPK(org))},
	}, 1000)
	if err != nil {
		return nil, err
	}
	return ddb.DecodeAll(items, approvalItem.domain)
}

// TokenApproval reads one request.
func (s Store) TokenApproval(ctx context.Context, org, tokenID string) (identity.Approval, error) {
	var it approvalItem
	if err := s.Get(ctx, approvalPK(org), tokenID, &it); err != nil {
		return identity.Approval{}, ddb.NotFound(err)
	}
	return it.domain(), nil
}

// ResolveTokenApproval deletes the request and rewrites the grant on both
// token items (identity.Resolved: approved, org leaves Pending for
// Approved; denied, org stays in or joins Pending), on condition that the
// listing item still holds t.Hash (a refresh in between is a conflict).
func (s Store) ResolveTokenApproval(ctx context.Context, t identity.Token, org string, approve bool, ev audit.Event) error {
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(approvalPK(org), t.ID),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		s.AuditPut(ev),
	}
	if t.Grant != nil {
		g := identity.Resolved(t.Grant, org, approve)
		items = append(items,
			types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), "TOKEN#"+t.ID),
				UpdateExpression: aws.String("SET #g = :g"), ConditionExpression: aws.String("#h = :h"),
				ExpressionAttributeNames:  map[string]string{"#g": "grant", "#h": "hash"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":g": ddb.S(encodeGrant(&g)), ":h": ddb.S(t.Hash)}}},
			types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(tokenPK(t.Hash), "TOKEN"),
				UpdateExpression: aws.String("SET #g = :g"), ConditionExpression: aws.String("attribute_exists(pk)"),
				ExpressionAttributeNames:  map[string]string{"#g": "grant"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":g": ddb.S(encodeLookupGrant(&g))}}},
		)
	}
	err := s.Transact(ctx, items)
	if ddb.ConditionFailed(err) {
		for _, i := range ddb.FailedIndexes(err) {
			if i == 0 {
				return store.ErrNotFound
			}
		}
		return store.ErrConflict
	}
	return err
}

// RequestTokenApproval writes a's request unless one exists (false then).
func (s Store) RequestTokenApproval(ctx context.Context, a identity.Approval, expires time.Time) (bool, error) {
	it := approvalItem{PK: approvalPK(a.Org), SK: a.TokenID, UserID: a.UserID, Username: a.Username, TokenName: a.TokenName, CreatedAt: a.CreatedAt}
	if !expires.IsZero() {
		it.TTL = expires.Unix()
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(it),
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if ddb.ConditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}
