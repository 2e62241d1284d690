package identityddb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/identity"
	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// Store implements identity.Store.
type Store struct{ ddb.Table }

var _ identity.Store = Store{}

type userItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	ID           string    `dynamodbav:"id"`
	Name         string    `dynamodbav:"name"`
	Fullname     string    `dynamodbav:"fullname"`
	PasswordHash string    `dynamodbav:"passwordHash"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
}

type codeItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	UserID    string    `dynamodbav:"userId"`
	CodeHash  string    `dynamodbav:"codeHash"`
	ExpiresAt time.Time `dynamodbav:"expiresAt"`
	Attempts  int       `dynamodbav:"attempts"`
	TTL       int64     `dynamodbav:"ttl"`
}

type sessionItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	UserID    string    `dynamodbav:"userId"`
	Username  string    `dynamodbav:"username"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	ExpiresAt time.Time `dynamodbav:"expiresAt"`
	TTL       int64     `dynamodbav:"ttl"`
}

// tokenLookupItem is the authorizer's hot-path item: one consistent GetItem
// by the token's hash gives everything a decision needs.
type tokenLookupItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	TokenID   string    `dynamodbav:"tokenId"`
	UserID    string    `dynamodbav:"userId"`
	Username  string    `dynamodbav:"username"`
	Name      string    `dynamodbav:"name"`
	Role      string    `dynamodbav:"role"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	ExpiresAt time.Time `dynamodbav:"expiresAt,omitempty"`
	TTL       int64     `dynamodbav:"ttl,omitempty"`
	Grant     string    `dynamodbav:"grant,omitempty"` // fine-grained tokens: encodeLookupGrant
}

// tokenMetaItem lists a token under its owner.
type tokenMetaItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	TokenID    string    `dynamodbav:"tokenId"`
	Username   string    `dynamodbav:"username"`
	Name       string    `dynamodbav:"name"`
	Role       string    `dynamodbav:"role"`
	Hash       string    `dynamodbav:"hash"`
	Hint       string    `dynamodbav:"hint"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	LastUsedAt time.Time `dynamodbav:"lastUsedAt,omitempty,unixtime"`
	ExpiresAt  time.Time `dynamodbav:"expiresAt,omitempty"`
	Grant      string    `dynamodbav:"grant,omitempty"`
	// ExpiryWarnedAt: when the owner was mailed that it expires soon.
	ExpiryWarnedAt string `dynamodbav:"expiryWarnedAt,omitempty"` // RFC 3339; a string so that omitempty omits it
	// GSI1 lists expiring tokens by expiry for the sweeper.
	GSI1PK string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `dynamodbav:"gsi1sk,omitempty"`
}

// Key builders, documented in docs/data-model.md.
func sessionPK(hash string) string { return "SESSION#" + hash }
func tokenPK(hash string) string   { return "TOKEN#" + hash }

// CreateUser writes the name claim, the profile and the email claim in one
// transaction, so two sign-ups for one name or email cannot both succeed.
func (s Store) CreateUser(ctx context.Context, u identity.User, e identity.Email) error {
	items := []types.TransactWriteItem{
		s.PutNew(ddb.NameClaim{PK: ddb.NamePK(u.Name), SK: "NAME", Kind: "user", ID: u.ID, Name: u.Name}),
		s.PutNew(userItem{PK: ddb.UserPK(u.ID), SK: "PROFILE", ID: u.ID, Name: u.Name, Fullname: u.Fullname, PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt}),
		s.claimEmail(e),
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	for _, i := range ddb.FailedIndexes(err) {
		switch i {
		case 0:
			return &store.ExistsError{Field: "username"}
		case 2:
			return &store.ExistsError{Field: "email"}
		}
	}
	if ddb.ConditionFailed(err) {
		return &store.ExistsError{Field: "username"}
	}
	return fmt.Errorf("create user: %w", err)
}

func toEmailItem(e identity.Email) ddb.EmailClaim {
	it := ddb.EmailClaim{PK: ddb.EmailPK(e.Address), SK: "EMAIL", GSI1PK: ddb.UserPK(e.UserID), GSI1SK: "EMAIL#" + ddb.Lower(e.Address),
		Address: e.Address, UserID: e.UserID, Verified: e.Verified, Primary: e.Primary, AddedAt: e.AddedAt}
	if !e.Verified && !e.ExpiresAt.IsZero() {
		it.TTL = e.ExpiresAt.Unix()
	}
	return it
}

func emailOf(e ddb.EmailClaim) identity.Email {
	out := identity.Email{Address: e.Address, UserID: e.UserID, Verified: e.Verified, Primary: e.Primary, AddedAt: e.AddedAt}
	if !e.Verified && e.TTL != 0 {
		out.ExpiresAt = time.Unix(e.TTL, 0).UTC()
	}
	return out
}

// claimEmail writes the claim of e if the address is free or its claim is
// an unverified one that lapsed before e.AddedAt (DynamoDB's TTL deletes
// those, late: the condition does not wait for it).
func (s Store) claimEmail(e identity.Email) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(s.Name), Item: ddb.Marshal(toEmailItem(e)),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (verified = :f AND #ttl <= :now)"),
		ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":f":   &types.AttributeValueMemberBOOL{Value: false},
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(e.AddedAt.Unix(), 10)},
		},
	}}
}

// UserByID reads a profile.
func (s Store) UserByID(ctx context.Context, id string) (identity.User, error) {
	var it userItem
	if err := s.Get(ctx, ddb.UserPK(id), "PROFILE", &it); err != nil {
		return identity.User{}, ddb.NotFound(err)
	}
	return identity.User{ID: it.ID, Name: it.Name, Fullname: it.Fullname, PasswordHash: it.PasswordHash, CreatedAt: it.CreatedAt}, nil
}

// UserByName resolves a name claim to its user.
func (s Store) UserByName(ctx context.Context, name string) (identity.User, error) {
	var n ddb.NameClaim
	if err := s.Get(ctx, ddb.NamePK(name), "NAME", &n); err != nil {
		return identity.User{}, ddb.NotFound(err)
	}
	if n.Kind != "user" {
		return identity.User{}, store.ErrNotFound
	}
	return s.UserByID(ctx, n.ID)
}

// EmailByAddress reads an email claim (a lapsed one too: see Email.Lapsed).
func (s Store) EmailByAddress(ctx context.Context, addr string) (identity.Email, error) {
	var it ddb.EmailClaim
	if err := s.Get(ctx, ddb.EmailPK(addr), "EMAIL", &it); err != nil {
		return identity.Email{}, ddb.NotFound(err)
	}
	return emailOf(it), nil
}

// EmailsOfUser lists a user's emails through gsi1 (eventually consistent).
func (s Store) EmailsOfUser(ctx context.Context, userID string) ([]identity.Email, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String("gsi1"),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: ddb.UserPK(userID)},
			":p":  &types.AttributeValueMemberS{Value: "EMAIL#"},
		},
	}, 100)
	if err != nil {
		return nil, err
	}
	return ddb.DecodeAll(items, emailOf)
}

// AddEmail claims an address for a user.
func (s Store) AddEmail(ctx context.Context, e identity.Email) error {
	put := s.claimEmail(e).Put
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
	})
	if ddb.ConditionFailed(err) {
		return &store.ExistsError{Field: "email"}
	}
	return err
}

// PutEmailCode stores (or replaces) the pending code of an address.
func (s Store) PutEmailCode(ctx context.Context, c identity.EmailCode) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Name),
		Item: ddb.Marshal(codeItem{PK: ddb.EmailPK(c.Address), SK: "CODE", UserID: c.UserID, CodeHash: c.CodeHash,
			ExpiresAt: c.ExpiresAt, TTL: c.ExpiresAt.Add(24 * time.Hour).Unix()}),
	})
	return err
}

// EmailCode reads the pending code of an address.
func (s Store) EmailCode(ctx context.Context, addr string) (identity.EmailCode, error) {
	var it codeItem
	if err := s.Get(ctx, ddb.EmailPK(addr), "CODE", &it); err != nil {
		return identity.EmailCode{}, ddb.NotFound(err)
	}
	return identity.EmailCode{Address: addr, UserID: it.UserID, CodeHash: it.CodeHash, ExpiresAt: it.ExpiresAt, Attempts: it.Attempts}, nil
}

// TryEmailCode implements identity.Store: the count and its limit are
// one conditional update, so concurrent guesses cannot pass the limit.
func (s Store) TryEmailCode(ctx context.Context, addr string, limit int) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(ddb.EmailPK(addr), "CODE"),
		UpdateExpression:    aws.String("ADD attempts :one"),
		ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(attempts) OR attempts < :limit)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) == 0 {
			return store.ErrNotFound
		}
		return store.ErrConflict
	}
	return err
}

// ConsumeEmailCode deletes the code (if unchanged) and marks the email
// verified in one transaction: a code works once.
func (s Store) ConsumeEmailCode(ctx context.Context, addr, codeHash string) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: aws.String(s.Name), Key: ddb.Key(ddb.EmailPK(addr), "CODE"),
			ConditionExpression:       aws.String("codeHash = :h"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: codeHash}},
		}},
		{Update: &types.Update{
			TableName: aws.String(s.Name), Key: ddb.Key(ddb.EmailPK(addr), "EMAIL"),
			UpdateExpression:          aws.String("SET verified = :t REMOVE #ttl"),
			ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
		}},
	}})
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	return err
}

// PutSession stores a session by its hash.
func (s Store) PutSession(ctx context.Context, sess identity.Session) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Name),
		Item: ddb.Marshal(sessionItem{PK: sessionPK(sess.Hash), SK: "SESSION", UserID: sess.UserID, Username: sess.Username,
			CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt, TTL: sess.ExpiresAt.Unix()}),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	return err
}

// SessionByHash reads a session.
func (s Store) SessionByHash(ctx context.Context, hash string) (identity.Session, error) {
	var it sessionItem
	if err := s.Get(ctx, sessionPK(hash), "SESSION", &it); err != nil {
		return identity.Session{}, ddb.NotFound(err)
	}
	return identity.Session{Hash: hash, UserID: it.UserID, Username: it.Username, CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt}, nil
}

// DeleteSession ends a session.
func (s Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Name), Key: ddb.Key(sessionPK(hash), "SESSION")})
	return err
}

func lookupItem(t identity.Token, hash string) tokenLookupItem {
	it := tokenLookupItem{PK: tokenPK(hash), SK: "TOKEN", TokenID: t.ID, UserID: t.UserID, Username: t.Username,
		Name: t.Name, Role: string(t.Role), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Grant: encodeLookupGrant(t.Grant)}
	if !t.ExpiresAt.IsZero() {
		// Kept a while past expiry so that its use is refused with the
		// date it expired, rather than as an unknown token.
		it.TTL = t.ExpiresAt.Add(ExpiredKept).Unix()
	}
	return it
}

// ExpiredKept is how long an expired token's lookup item stays (refused,
// saying when it expired) before DynamoDB's TTL removes it.
const ExpiredKept = 7 * 24 * time.Hour

func metaItem(t identity.Token) tokenMetaItem {
	it := tokenMetaItem{PK: ddb.UserPK(t.UserID), SK: "TOKEN#" + t.ID, TokenID: t.ID, Username: t.Username, Name: t.Name,
		Role: string(t.Role), Hash: t.Hash, Hint: t.Hint, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt,
		Grant: encodeGrant(t.Grant)}
	if !t.ExpiresAt.IsZero() {
		it.GSI1PK, it.GSI1SK = ddb.Shard(expiryPK, t.UserID+"#"+t.ID, ExpiryShards), expirySK(t.ExpiresAt)+"#"+t.UserID+"#"+t.ID
	}
	return it
}

// expiryPK is the gsi1 partition prefix of expiring tokens, spread over
// ExpiryShards partitions by a hash of the token (TOKENEXPIRY#<shard>);
// the sort key starts with the expiry in a fixed-width UTC form, so a
// range query on each shard finds those expiring before a time.
const expiryPK = "TOKENEXPIRY"

// ExpiryShards is how many gsi1 partitions expiring tokens are spread
// over; TokensExpiringBefore queries them all (and the unsharded
// TOKENEXPIRY of older items).
const ExpiryShards = 16

func expirySK(at time.Time) string { return at.UTC().Format("2006-01-02T15:04:05Z") }

func (m tokenMetaItem) domain(userID string) identity.Token {
	g, _ := decodeGrant(m.Grant) // a damaged grant lists as none; the authorizer refuses it
	return identity.Token{ID: m.TokenID, UserID: userID, Username: m.Username, Name: m.Name, Role: access.TokenRole(m.Role),
		Hash: m.Hash, Hint: m.Hint, CreatedAt: m.CreatedAt, LastUsedAt: m.LastUsedAt, ExpiresAt: m.ExpiresAt, Grant: g,
		ExpiryWarnedAt: parseTime(m.ExpiryWarnedAt)}
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// CreateToken writes the lookup item and the owner's listing item together.
func (s Store) CreateToken(ctx context.Context, t identity.Token, ev audit.Event) error {
	items := []types.TransactWriteItem{
		s.PutNew(lookupItem(t, t.Hash)),
		s.PutNew(metaItem(t)),
		s.AuditPut(ev),
	}
	for _, a := range approvalItems(t) {
		items = append(items, s.PutNew(a))
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if ddb.ConditionFailed(err) {
		return store.ErrConflict
	}
	return err
}

// TokenByHash is the authorizer's hot path: one strongly consistent GetItem.
func (s Store) TokenByHash(ctx context.Context, hash string) (identity.Token, error) {
	var it tokenLookupItem
	if err := s.Get(ctx, tokenPK(hash), "TOKEN", &it); err != nil {
		return identity.Token{}, ddb.NotFound(err)
	}
	g, err := decodeLookupGrant(it.Grant)
	if err != nil {
		return identity.Token{}, err
	}
	return identity.Token{ID: it.TokenID, UserID: it.UserID, Username: it.Username, Name: it.Name, Role: access.TokenRole(it.Role),
		Hash: hash, CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt, Grant: g}, nil
}

// TokenByID reads one of a user's tokens.
func (s Store) TokenByID(ctx context.Context, userID, id string) (identity.Token, error) {
	var it tokenMetaItem
	if err := s.Get(ctx, ddb.UserPK(userID), "TOKEN#"+id, &it); err != nil {
		return identity.Token{}, ddb.NotFound(err)
	}
	t := it.domain(userID)
	used, err := s.tokenUse(ctx, userID, id)
	if err != nil {
		return identity.Token{}, err
	}
	if used.After(t.LastUsedAt) {
		t.LastUsedAt = used
	}
	return t, nil
}

// TokensOfUser lists a user's tokens (one partition, consistent).
func (s Store) TokensOfUser(ctx context.Context, userID string) ([]identity.Token, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ConsistentRead:         aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: ddb.UserPK(userID)},
			// TOKEN#<id> (listing) and TOKENUSE#<id> (last use), read
			// together.
			":p": &types.AttributeValueMemberS{Value: "TOKEN"},
		},
	}, 1000)
	if err != nil {
		return nil, err
	}
	var metas []map[string]types.AttributeValue
	used := map[string]time.Time{}
	for _, m := range items {
		sk, _ := m["sk"].(*types.AttributeValueMemberS)
		switch {
		case sk != nil && strings.HasPrefix(sk.Value, tokenUsePrefix):
			var u tokenUseItem
			if err := attributevalue.UnmarshalMap(m, &u); err != nil {
				return nil, err
			}
			used[strings.TrimPrefix(sk.Value, tokenUsePrefix)] = u.LastUsedAt
		case sk != nil && strings.HasPrefix(sk.Value, "TOKEN#"):
			metas = append(metas, m)
		}
	}
	out, err := ddb.DecodeAll(metas, func(it tokenMetaItem) identity.Token { return it.domain(userID) })
	if err != nil {
		return nil, err
	}
	for i := range out {
		if u := used[out[i].ID]; u.After(out[i].LastUsedAt) {
			out[i].LastUsedAt = u
		}
	}
	return out, nil
}

// RefreshToken deletes the old lookup item, writes the new one and swaps
// the hash on the listing item, in one transaction, on condition that the
// listing item under the owner still holds t.Hash: the key carries the
// ownership check and the hash the freshness check, so of concurrent
// refreshes exactly one commits. When the condition fails it returns
// store.ErrNotFound if the token is gone, or store.ErrConflict with the
// token as it now is.
func (s Store) RefreshToken(ctx context.Context, t identity.Token, newHash, newHint string, ev audit.Event) (identity.Token, error) {
	if t.Hash == "" {
		return identity.Token{}, store.ErrNotFound
	}
	err := s.Transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(tokenPK(t.Hash), "TOKEN"),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		s.PutNew(lookupItem(t, newHash)),
		{Update: &types.Update{
			TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), "TOKEN#"+t.ID),
			UpdateExpression:                    aws.String("SET #h = :new, hint = :hint"),
			ConditionExpression:                 aws.String("#h = :old"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ExpressionAttributeNames:            map[string]string{"#h": "hash"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":new": ddb.S(newHash), ":old": ddb.S(t.Hash), ":hint": ddb.S(newHint),
			},
		}},
		s.AuditPut(ev),
	})
	return tokenNow(err, 2, t.UserID)
}

// DeleteToken removes both items in one transaction, on condition that the
// listing item under the owner still holds t.Hash (else a refreshed secret
// would survive). A failed condition is told apart as in RefreshToken.
func (s Store) DeleteToken(ctx context.Context, t identity.Token, ev audit.Event) (identity.Token, error) {
	if t.Hash == "" {
		return identity.Token{}, store.ErrNotFound
	}
	items := []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(tokenPK(t.Hash), "TOKEN"),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), "TOKEN#"+t.ID),
			ConditionExpression:                 aws.String("#h = :h"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			ExpressionAttributeNames:            map[string]string{"#h": "hash"},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":h": ddb.S(t.Hash)}}},
		s.AuditPut(ev),
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(t.UserID), tokenUseSK(t.ID))}},
	}
	// Its approval requests go with it (an approved org has none left).
	for _, a := range approvalItems(t) {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(a.PK, a.SK)}})
	}
	err := s.Transact(ctx, items)
	return tokenNow(err, 1, t.UserID)
}

// tokenNow reads the outcome of a token transaction whose item meta is the
// conditional write on the listing item: nil, store.ErrNotFound when the
// listing item is gone, store.ErrConflict with the listing item's current
// state when its hash moved on, or store.ErrConflict alone when the
// transaction collided and the current state is unknown.
func tokenNow(err error, meta int, userID string) (identity.Token, error) {
	if err == nil {
		return identity.Token{}, nil
	}
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return identity.Token{}, err
	}
	if meta < len(tc.CancellationReasons) {
		r := tc.CancellationReasons[meta]
		if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			if len(r.Item) == 0 {
				return identity.Token{}, store.ErrNotFound
			}
			var it tokenMetaItem
			if err := attributevalue.UnmarshalMap(r.Item, &it); err != nil {
				return identity.Token{}, fmt.Errorf("decode token listing item: %w", err)
			}
			return it.domain(userID), store.ErrConflict
		}
	}
	if ddb.ConditionFailed(err) {
		return identity.Token{}, store.ErrConflict
	}
	return identity.Token{}, err
}

// tokenUseItem records a token's last use apart from its listing item
// (pk USER#<userId>, sk TOKENUSE#<tokenId>): a use rewrites neither the
// listing item nor its TOKENEXPIRY index copy. Its ttl (refreshed by each
// write) removes the record of a token gone long ago.
type tokenUseItem struct {
	LastUsedAt time.Time `dynamodbav:"lastUsedAt,unixtime"`
}

const (
	tokenUsePrefix = "TOKENUSE#"
	// tokenUseKept is how long a use record outlives its last write.
	tokenUseKept = 400 * 24 * time.Hour
)

func tokenUseSK(id string) string { return tokenUsePrefix + id }

// TouchToken records a use of token id: at most once per interval window
// across every instance, as the write is conditional on the window stored
// (lastUsedWindow = unix time / interval); a write that finds its window
// already recorded is a no-op.
func (s Store) TouchToken(ctx context.Context, userID, id string, now time.Time, interval time.Duration) error {
	w := now.Unix() / int64(interval/time.Second)
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key(ddb.UserPK(userID), tokenUseSK(id)),
		UpdateExpression:         aws.String("SET lastUsedAt = :now, lastUsedWindow = :w, #ttl = :ttl"),
		ConditionExpression:      aws.String("attribute_not_exists(lastUsedWindow) OR lastUsedWindow < :w"),
		ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":w":   &types.AttributeValueMemberN{Value: strconv.FormatInt(w, 10)},
			":ttl": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(tokenUseKept).Unix(), 10)},
		},
	})
	if ddb.ConditionFailed(err) {
		return nil
	}
	return err
}

// tokenUse reads a token's use record; zero when it has none.
func (s Store) tokenUse(ctx context.Context, userID, id string) (time.Time, error) {
	var u tokenUseItem
	err := s.Get(ctx, ddb.UserPK(userID), tokenUseSK(id), &u)
	if errors.Is(err, ddb.ErrNoItem) {
		return time.Time{}, nil
	}
	return u.LastUsedAt, err
}

func window(now time.Time, w time.Duration) string {
	return strconv.FormatInt(now.Unix()/int64(w.Seconds()), 10)
}

// Hit adds one to a fixed-window counter and returns the new count.
func (s Store) Hit(ctx context.Context, k string, w time.Duration, now time.Time) (int, error) {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key("RATE#"+k, window(now, w)),
		UpdateExpression:         aws.String("ADD #c :one SET #t = :ttl"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#t": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":ttl": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(2*w).Unix(), 10)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, err
	}
	var out struct {
		Count int `dynamodbav:"count"`
	}
	err = attributevalue.UnmarshalMap(res.Attributes, &out)
	return out.Count, err
}

// Take adds one to a fixed-window counter unless it already holds limit,
// in one conditional write, and reports whether it did and the new count:
// N concurrent callers get at most limit yeses.
func (s Store) Take(ctx context.Context, k string, limit int, w time.Duration, now time.Time) (int, bool, error) {
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key("RATE#"+k, window(now, w)),
		UpdateExpression:         aws.String("ADD #c :one SET #t = :ttl"),
		ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c < :limit"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#t": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
			":ttl":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(2*w).Unix(), 10)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if ddb.ConditionFailed(err) {
		return limit, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var out struct {
		Count int `dynamodbav:"count"`
	}
	if err := attributevalue.UnmarshalMap(res.Attributes, &out); err != nil {
		return 0, false, err
	}
	return out.Count, true, nil
}

// Release gives back one unit taken by Take in the same window.
func (s Store) Release(ctx context.Context, k string, w time.Duration, now time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Name), Key: ddb.Key("RATE#"+k, window(now, w)),
		UpdateExpression:          aws.String("ADD #c :minus"),
		ConditionExpression:       aws.String("#c > :zero"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": &types.AttributeValueMemberN{Value: "-1"}, ":zero": &types.AttributeValueMemberN{Value: "0"}},
	})
	if ddb.ConditionFailed(err) {
		return nil
	}
	return err
}

// Count reads a counter without adding to it.
func (s Store) Count(ctx context.Context, k string, w time.Duration, now time.Time) (int, error) {
	var out struct {
		Count int `dynamodbav:"count"`
	}
	err := s.Get(ctx, "RATE#"+k, window(now, w), &out)
	if errors.Is(err, ddb.ErrNoItem) {
		return 0, nil
	}
	return out.Count, err
}

// CountTokenLookups scans for lookup items of a token id. It is for tests
// (orphan checks), never for a request path.
func (s Store) CountTokenLookups(ctx context.Context, tokenID string) (int, error) {
	sc, ok := s.DB.(interface {
		Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	})
	if !ok {
		return 0, errors.New("scan not supported by this client")
	}
	n := 0
	in := &dynamodb.ScanInput{
		TableName:        aws.String(s.Name),
		FilterExpression: aws.String("begins_with(pk, :p) AND tokenId = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": &types.AttributeValueMemberS{Value: "TOKEN#"}, ":id": &types.AttributeValueMemberS{Value: tokenID},
		},
	}
	for {
		res, err := sc.Scan(ctx, in)
		if err != nil {
			return 0, err
		}
		n += len(res.Items)
		if res.LastEvaluatedKey == nil {
			return n, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}
