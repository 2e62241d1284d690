package orgddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/org"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// Store implements org.Store, and the organization half of authz.Facts.
type Store struct{ ddb.Table }

var _ org.Store = Store{}

// orgItem is an organization's profile: pk ORG#<ddb.Lower(name)>, sk PROFILE.
// Admins counts the members with role admin; the last-admin rule is a
// condition on it.
type orgItem struct {
	PK                   string    `dynamodbav:"pk"`
	SK                   string    `dynamodbav:"sk"`
	ID                   string    `dynamodbav:"id"`
	Name                 string    `dynamodbav:"name"`
	Fullname             string    `dynamodbav:"fullname"`
	Description          string    `dynamodbav:"description"`
	AvatarURL            string    `dynamodbav:"avatarUrl"`
	Links                []string  `dynamodbav:"links"`
	CreatedAt            time.Time `dynamodbav:"createdAt"`
	Admins               int       `dynamodbav:"admins"`
	RequireSignedCommits bool      `dynamodbav:"requireSignedCommits"`
	TokenPolicy          string    `dynamodbav:"tokenPolicy,omitempty"`
	AllowSecretsInPushes bool      `dynamodbav:"allowSecretsInPushes,omitempty"`
	AllowServiceSigned   bool      `dynamodbav:"allowServiceSignedCommits,omitempty"`
	RequireSignedModels  bool      `dynamodbav:"requireSignedModels,omitempty"`
	TokenHash            string    `dynamodbav:"tokenHash,omitempty"`
	TokenHint            string    `dynamodbav:"tokenHint,omitempty"`
	TokenCreatedAt       time.Time `dynamodbav:"tokenCreatedAt,omitempty"`
}

// memberItem is a membership: pk ORG#<ddb.Lower(org)>, sk MEMBER#<ddb.Lower(user)>;
// gsi1 MEMBEROF#<ddb.Lower(user)> / ORG#<ddb.Lower(org)> lists a user's orgs.
type memberItem struct {
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	GSI1PK   string    `dynamodbav:"gsi1pk"`
	GSI1SK   string    `dynamodbav:"gsi1sk"`
	Org      string    `dynamodbav:"org"`
	OrgID    string    `dynamodbav:"orgId"`
	User     string    `dynamodbav:"user"`
	UserID   string    `dynamodbav:"userId"`
	Role     string    `dynamodbav:"role"`
	JoinedAt time.Time `dynamodbav:"joinedAt"`
}

// orgTokenItem is the authorizer's lookup of an org API token:
// pk ORGTOKEN#<hash>, sk ORGTOKEN.
type orgTokenItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Org       string    `dynamodbav:"org"`
	OrgID     string    `dynamodbav:"orgId"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
}

const (
	orgProfileSK = "PROFILE"
	orgTokenSK   = "ORGTOKEN"
)

func orgPK(name string) string      { return "ORG#" + ddb.Lower(name) }
func memberSK(user string) string   { return "MEMBER#" + ddb.Lower(user) }
func memberOfPK(user string) string { return "MEMBEROF#" + ddb.Lower(user) }
func orgTokenPK(hash string) string { return "ORGTOKEN#" + hash }

func (it orgItem) domain() org.Org {
	return org.Org{ID: it.ID, Name: it.Name, Fullname: it.Fullname, Description: it.Description, AvatarURL: it.AvatarURL,
		Links: it.Links, CreatedAt: it.CreatedAt, RequireSignedCommits: it.RequireSignedCommits, TokenPolicy: access.TokenPolicy(it.TokenPolicy), AllowSecretsInPushes: it.AllowSecretsInPushes,
		AllowServiceSignedCommits: it.AllowServiceSigned, RequireSignedModels: it.RequireSignedModels,
		Token: org.TokenInfo{Hash: it.TokenHash, Hint: it.TokenHint, CreatedAt: it.TokenCreatedAt}}
}

func (it memberItem) domain() org.Member {
	return org.Member{User: it.User, UserID: it.UserID, Role: access.OrgRole(it.Role), JoinedAt: it.JoinedAt}
}

func toMemberItem(o org.Org, m org.Member) memberItem {
	return memberItem{PK: orgPK(o.Name), SK: memberSK(m.User), GSI1PK: memberOfPK(m.User), GSI1SK: orgPK(o.Name),
		Org: o.Name, OrgID: o.ID, User: m.User, UserID: m.UserID, Role: string(m.Role), JoinedAt: m.JoinedAt}
}

// CreateOrg claims the name with the NAME# item users claim theirs with
// (kind "org"), writes the profile with one admin and the creator's
// membership, in one transaction.
func (s Store) CreateOrg(ctx context.Context, o org.Org, creator org.Member) error {
	if o.Links == nil {
		o.Links = []string{}
	}
	items := []types.TransactWriteItem{
		s.PutNew(ddb.NameClaim{PK: ddb.NamePK(o.Name), SK: "NAME", Kind: "org", ID: o.ID, Name: o.Name}),
		s.PutNew(orgItem{PK: orgPK(o.Name), SK: orgProfileSK, ID: o.ID, Name: o.Name, Fullname: o.Fullname,
			Description: o.Description, AvatarURL: o.AvatarURL, Links: o.Links, CreatedAt: o.CreatedAt, Admins: 1}),
		s.PutNew(toMemberItem(o, creator)),
		s.policyPut(o.Name, o.TokenPolicy),
	}
	err := s.Transact(ctx, items)
	if ddb.ConditionFailed(err) {
		return &store.ExistsError{Field: "name"}
	}
	if err != nil {
		return fmt.Errorf("create org: %w", err)
	}
	return nil
}

// OrgByName reads a profile (strongly consistent).
func (s Store) OrgByName(ctx context.Context, name string) (org.Org, error) {
	var it orgItem
	if err := s.Get(ctx, orgPK(name), orgProfileSK, &it); err != nil {
		return org.Org{}, ddb.NotFound(err)
	}
	return it.domain(), nil
}

// UpdateOrg sets the changed fields, on condition that the org exists.
func (s Store) UpdateOrg(ctx context.Context, name string, ch org.Change) (org.Org, error) {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	expr := ""
	set := func(attr string, v types.AttributeValue) {
		n := "#" + attr
		names[n] = attr
		values[":"+attr] = v
		if expr == "" {
			expr = "SET "
		} else {
			expr += ", "
		}
		expr += n + " = :" + attr
	}
	if ch.Fullname != nil {
		set("fullname", ddb.S(*ch.Fullname))
	}
	if ch.Description != nil {
		set("description", ddb.S(*ch.Description))
	}
	if ch.AvatarURL != nil {
		set("avatarUrl", ddb.S(*ch.AvatarURL))
	}
	if ch.Links != nil {
		l := make([]types.AttributeValue, 0, len(*ch.Links))
		for _, v := range *ch.Links {
			l = append(l, ddb.S(v))
		}
		set("links", &types.AttributeValueMemberL{Value: l})
	}
	if ch.RequireSignedCommits != nil {
		set("requireSignedCommits", &types.AttributeValueMemberBOOL{Value: *ch.RequireSignedCommits})
	}
	if ch.TokenPolicy != nil {
		set("tokenPolicy", ddb.S(string(*ch.TokenPolicy)))
	}
	if ch.AllowSecretsInPushes != nil {
		set("allowSecretsInPushes", &types.AttributeValueMemberBOOL{Value: *ch.AllowSecretsInPushes})
	}
	if ch.AllowServiceSignedCommits != nil {
		set("allowServiceSignedCommits", &types.AttributeValueMemberBOOL{Value: *ch.AllowServiceSignedCommits})
	}
	if ch.RequireSignedModels != nil {
		set("requireSignedModels", &types.AttributeValueMemberBOOL{Value: *ch.RequireSignedModels})
	}
	if expr == "" {
		return s.OrgByName(ctx, name)
	}
	names["#pk"] = "pk"
	if ch.TokenPolicy != nil {
		// The policy item changes with the profile, in one transaction.
		err := s.Transact(ctx, []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(orgPK(name), orgProfileSK),
				UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(#pk)"),
				ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
			s.policyPut(name, *ch.TokenPolicy),
		})
		if ddb.ConditionFailed(err) {
			return org.Org{}, store.ErrNotFound
		}
		if err != nil {
			return org.Org{}, fmt.Errorf("update org %s: %w", name, err)
		}
		return s.OrgByName(ctx, name)
	}
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(orgPK(name), orgProfileSK),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		ReturnValues: types.ReturnValueAllNew,
	})
	if ddb.ConditionFailed(err) {
		return org.Org{}, store.ErrNotFound
	}
	if err != nil {
		return org.Org{}, fmt.Errorf("update org %s: %w", name, err)
	}
	var it orgItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return org.Org{}, err
	}
	return it.domain(), nil
}

// Member reads one membership (strongly consistent).
func (s Store) Member(ctx context.Context, orgName, user string) (org.Member, error) {
	var it memberItem
	if err := s.Get(ctx, orgPK(orgName), memberSK(user), &it); err != nil {
		return org.Member{}, ddb.NotFound(err)
	}
	return it.domain(), nil
}

// Members lists an org's members (one partition, consistent).
func (s Store) Members(ctx context.Context, orgName string) ([]org.Member, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ConsistentRead:         aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S(orgPK(orgName)), ":p": ddb.S("MEMBER#"),
		},
	}, 10000)
	if err != nil {
		return nil, err
	}
	return ddb.DecodeAll(items, memberItem.domain)
}

// adminDelta is how a change of role from prev to next moves the admin count.
func adminDelta(prev, next access.OrgRole) int {
	switch {
	case prev != access.RoleAdmin && next == access.RoleAdmin:
		return 1
	case prev == access.RoleAdmin && next != access.RoleAdmin:
		return -1
	}
	return 0
}

// counter returns the transaction item that keeps the admin count of o
// after a change by delta: a decrement is conditioned on at least one admin
// remaining.
func (s Store) counter(o org.Org, delta int) types.TransactWriteItem {
	k := ddb.Key(orgPK(o.Name), orgProfileSK)
	switch delta {
	case 1:
		return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Name), Key: k,
			UpdateExpression: aws.String("ADD #a :d"), ConditionExpression: aws.String("attribute_exists(#pk)"),
			ExpressionAttributeNames:  map[string]string{"#a": "admins", "#pk": "pk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": ddb.N(1)}}}
	case -1:
		return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Name), Key: k,
			UpdateExpression: aws.String("ADD #a :d"), ConditionExpression: aws.String("#a > :one"),
			ExpressionAttributeNames:  map[string]string{"#a": "admins"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": ddb.N(-1), ":one": ddb.N(1)}}}
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Name), Key: k,
		ConditionExpression: aws.String("attribute_exists(#pk)"), ExpressionAttributeNames: map[string]string{"#pk": "pk"}}}
}

// stillAdmin conditions a transaction on user being an admin of o.
func (s Store) stillAdmin(o org.Org, user string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Name),
		Key: ddb.Key(orgPK(o.Name), memberSK(user)), ConditionExpression: aws.String("#r = :admin"),
		ExpressionAttributeNames:  map[string]string{"#r": "role"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":admin": ddb.S(string(access.RoleAdmin))}}}
}

// memberChange runs a membership transaction whose first item is the
// member's own write, second the admin counter and optional third the
// acting admin's check, and maps failures: the acting admin or the member
// changed (store.ErrConflict, worth a retry) before the counter (the
// last-admin rule, org.ErrLastAdmin).
func (s Store) memberChange(ctx context.Context, items []types.TransactWriteItem, delta int) error {
	err := s.Transact(ctx, items)
	if err == nil {
		return nil
	}
	failed := ddb.FailedIndexes(err)
	counterFailed := false
	for _, i := range failed {
		switch i {
		case 0, 2:
			return store.ErrConflict
		case 1:
			counterFailed = true
		}
	}
	if counterFailed {
		if delta < 0 {
			return org.ErrLastAdmin
		}
		return store.ErrNotFound // the organization is gone
	}
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	return fmt.Errorf("change membership: %w", err)
}

// PutMember adds or changes a membership; see org.Store.
func (s Store) PutMember(ctx context.Context, o org.Org, m org.Member, prev access.OrgRole, byAdmin string) error {
	var own types.TransactWriteItem
	if prev == "" {
		own = s.PutNew(toMemberItem(o, m))
	} else {
		own = types.TransactWriteItem{Update: &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(orgPK(o.Name), memberSK(m.User)),
			UpdateExpression: aws.String("SET #r = :role"), ConditionExpression: aws.String("#r = :prev"),
			ExpressionAttributeNames:  map[string]string{"#r": "role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":role": ddb.S(string(m.Role)), ":prev": ddb.S(string(prev))}}}
	}
	delta := adminDelta(prev, m.Role)
	items := []types.TransactWriteItem{own, s.counter(o, delta)}
	if byAdmin != "" && ddb.Lower(byAdmin) != ddb.Lower(m.User) {
		items = append(items, s.stillAdmin(o, byAdmin))
	}
	return s.memberChange(ctx, items, delta)
}

// RemoveMember deletes a membership; see org.Store.
func (s Store) RemoveMember(ctx context.Context, o org.Org, user string, prev access.OrgRole, byAdmin string) error {
	own := types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(orgPK(o.Name), memberSK(user)),
		ConditionExpression:       aws.String("#r = :prev"),
		ExpressionAttributeNames:  map[string]string{"#r": "role"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": ddb.S(string(prev))}}}
	delta := adminDelta(prev, "")
	items := []types.TransactWriteItem{own, s.counter(o, delta)}
	if byAdmin != "" && ddb.Lower(byAdmin) != ddb.Lower(user) {
		items = append(items, s.stillAdmin(o, byAdmin))
	}
	return s.memberChange(ctx, items, delta)
}

// OrgsOf lists a user's memberships through gsi1 (eventually consistent)
// and reads the organizations' current full names.
func (s Store) OrgsOf(ctx context.Context, user string) ([]org.Membership, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String("gsi1"),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S(memberOfPK(user)), ":p": ddb.S("ORG#"),
		},
	}, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]org.Membership, 0, len(items))
	keys := make([]map[string]types.AttributeValue, 0, len(items))
	for _, m := range items {
		var it memberItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, org.Membership{OrgID: it.OrgID, Org: it.Org, Role: access.OrgRole(it.Role)})
		keys = append(keys, ddb.Key(orgPK(it.Org), orgProfileSK))
	}
	fullnames, err := s.fullnames(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Fullname = fullnames[ddb.Lower(out[i].Org)]
	}
	return out, nil
}

// fullnames batch-reads org profiles and returns ddb.Lower(name) -> fullname.
func (s Store) fullnames(ctx context.Context, keys []map[string]types.AttributeValue) (map[string]string, error) {
	out := map[string]string{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		pending := map[string]types.KeysAndAttributes{s.Name: {Keys: keys[:n],
			ProjectionExpression: aws.String("#n, fullname"), ExpressionAttributeNames: map[string]string{"#n": "name"}}}
		keys = keys[n:]
		for tries := 0; len(pending) > 0; tries++ {
			if tries > 0 {
				if err := ddb.Backoff(ctx, tries); err != nil {
					return nil, err
				}
			}
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("read org profiles: %w", err)
			}
			for _, m := range res.Responses[s.Name] {
				var it struct {
					Name     string `dynamodbav:"name"`
					Fullname string `dynamodbav:"fullname"`
				}
				if err := attributevalue.UnmarshalMap(m, &it); err != nil {
					return nil, err
				}
				out[ddb.Lower(it.Name)] = it.Fullname
			}
			pending = res.UnprocessedKeys
		}
	}
	return out, nil
}

// SetToken swaps (or revokes) the org API token in one transaction: the old
// lookup item goes, the new one comes, and the hash on the profile changes
// on condition that it is still old.
func (s Store) SetToken(ctx context.Context, o org.Org, old string, t org.TokenInfo) error {
	var items []types.TransactWriteItem
	if old != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Name),
			Key: ddb.Key(orgTokenPK(old), orgTokenSK)}})
	}
	cond := "attribute_not_exists(#h)"
	values := map[string]types.AttributeValue{}
	if old != "" {
		cond = "#h = :old"
		values[":old"] = ddb.S(old)
	}
	names := map[string]string{"#h": "tokenHash", "#i": "tokenHint", "#c": "tokenCreatedAt", "#pk": "pk"}
	cond = "attribute_exists(#pk) AND " + cond
	var update string
	if t.Hash == "" {
		update = "REMOVE #h, #i, #c"
	} else {
		items = append(items, s.PutNew(orgTokenItem{PK: orgTokenPK(t.Hash), SK: orgTokenSK, Org: o.Name, OrgID: o.ID, CreatedAt: t.CreatedAt}))
		update = "SET #h = :h, #i = :i, #c = :c"
		values[":h"], values[":i"] = ddb.S(t.Hash), ddb.S(t.Hint)
		values[":c"] = ddb.S(t.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	up := &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(orgPK(o.Name), orgProfileSK),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String(cond), ExpressionAttributeNames: names}
	if len(values) > 0 {
		up.ExpressionAttributeValues = values
	}
	items = append(items, types.TransactWriteItem{Update: up})
	err := s.Transact(ctx, items)
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("set org token: %w", err)
	}
	return nil
}

// OrgByTokenHash resolves an org API token by its hash with one strongly
// consistent GetItem (authz.Facts).
func (s Store) OrgByTokenHash(ctx context.Context, hash string) (string, bool, error) {
	var it orgTokenItem
	err := s.Get(ctx, orgTokenPK(hash), orgTokenSK, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return it.Org, true, nil
}

// OrgRole returns user's role in org, "" when none, with one strongly
// consistent GetItem (authz.Facts).
func (s Store) OrgRole(ctx context.Context, orgName, user string) (access.OrgRole, error) {
	if orgName == "" || user == "" {
		return "", nil
	}
	var it struct {
		Role string `dynamodbav:"role"`
	}
	err := s.Get(ctx, orgPK(orgName), memberSK(user), &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return access.OrgRole(it.Role), nil
}

// OrgRequiresSignedCommits reads the organization's setting.
func (s Store) OrgRequiresSignedCommits(ctx context.Context, org string) (bool, error) {
	var it struct {
		Require bool `dynamodbav:"requireSignedCommits"`
	}
	if err := s.Get(ctx, orgPK(org), orgProfileSK, &it); err != nil {
		return false, ddb.NotFound(err)
	}
	return it.Require, nil
}

// OrgAllowsSecretsInPushes reads the organization's setting.
func (s Store) OrgAllowsSecretsInPushes(ctx context.Context, org string) (bool, error) {
	var it struct {
		Allow bool `dynamodbav:"allowSecretsInPushes"`
	}
	if err := s.Get(ctx, orgPK(org), orgProfileSK, &it); err != nil {
		return false, ddb.NotFound(err)
	}
	return it.Allow, nil
}

// OrgPushPolicy reads the organization's push settings in one read:
// requireSignedCommits, allowSecretsInPushes, allowServiceSignedCommits,
// requireSignedModels.
func (s Store) OrgPushPolicy(ctx context.Context, org string) (requireSigned, allowSecrets, allowServiceSigned, requireSignedModels bool, err error) {
	var it struct {
		Require       bool `dynamodbav:"requireSignedCommits"`
		AllowSecrets  bool `dynamodbav:"allowSecretsInPushes"`
		AllowService  bool `dynamodbav:"allowServiceSignedCommits"`
		RequireModels bool `dynamodbav:"requireSignedModels"`
	}
	if err := s.Get(ctx, orgPK(org), orgProfileSK, &it); err != nil {
		return false, false, false, false, ddb.NotFound(err)
	}
	return it.Require, it.AllowSecrets, it.AllowService, it.RequireModels, nil
}
