package repoddb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/repo"
)

// Store implements repo.Store.
type Store struct{ ddb.Table }

var _ repo.Store = Store{}

// repoItem is a repository: pk REPO#<type>#<ddb.Lower(ns)>/<ddb.Lower(name)>, sk
// REPO; gsi1 NS#<ddb.Lower(ns)> / REPO#<type>#<ddb.Lower(name)> lists a namespace.
type repoItem struct {
	PK                   string    `dynamodbav:"pk"`
	SK                   string    `dynamodbav:"sk"`
	GSI1PK               string    `dynamodbav:"gsi1pk"`
	GSI1SK               string    `dynamodbav:"gsi1sk"`
	ID                   string    `dynamodbav:"id"`
	Type                 string    `dynamodbav:"type"`
	Namespace            string    `dynamodbav:"namespace"`
	Name                 string    `dynamodbav:"name"`
	Owner                string    `dynamodbav:"owner"` // "user" or "org"
	OwnerID              string    `dynamodbav:"ownerId"`
	Private              bool      `dynamodbav:"private"`
	RequireSignedCommits bool      `dynamodbav:"requireSignedCommits"`
	AllowSecretsInPushes bool      `dynamodbav:"allowSecretsInPushes,omitempty"`
	AllowServiceSigned   bool      `dynamodbav:"allowServiceSignedCommits,omitempty"`
	RequireSignedModels  bool      `dynamodbav:"requireSignedModels,omitempty"`
	SDK                  string    `dynamodbav:"sdk,omitempty"`
	CreatedBy            string    `dynamodbav:"createdBy,omitempty"`
	CreatedAt            time.Time `dynamodbav:"createdAt"`
	LastModified         time.Time `dynamodbav:"lastModified"`
}

const repoSK = "REPO"

func repoPK(typ access.RepoType, ns, name string) string {
	return "REPO#" + string(typ) + "#" + ddb.Lower(ns) + "/" + ddb.Lower(name)
}

func ownerName(k access.OwnerKind) string {
	if k == access.OwnerOrg {
		return "org"
	}
	return "user"
}

func ownerKind(s string) access.OwnerKind {
	switch s {
	case "org":
		return access.OwnerOrg
	case "user":
		return access.OwnerUser
	}
	return access.OwnerInvalid
}

func toRepoItem(r repo.Repo) repoItem {
	return repoItem{PK: repoPK(r.Type, r.Namespace, r.Name), SK: repoSK,
		GSI1PK: "NS#" + ddb.Lower(r.Namespace), GSI1SK: "REPO#" + string(r.Type) + "#" + ddb.Lower(r.Name),
		ID: r.ID, Type: string(r.Type), Namespace: r.Namespace, Name: r.Name, Owner: ownerName(r.Owner), OwnerID: r.OwnerID,
		Private: r.Private, RequireSignedCommits: r.RequireSignedCommits, AllowSecretsInPushes: r.AllowSecretsInPushes, AllowServiceSigned: r.AllowServiceSignedCommits, RequireSignedModels: r.RequireSignedModels, SDK: r.SDK, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, LastModified: r.LastModified}
}

func (it repoItem) domain() repo.Repo {
	return repo.Repo{ID: it.ID, Type: access.RepoType(it.Type), Namespace: it.Namespace, Name: it.Name,
		Owner: ownerKind(it.Owner), OwnerID: it.OwnerID, Private: it.Private, RequireSignedCommits: it.RequireSignedCommits, AllowSecretsInPushes: it.AllowSecretsInPushes, AllowServiceSignedCommits: it.AllowServiceSigned, RequireSignedModels: it.RequireSignedModels,
		SDK: it.SDK, CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt, LastModified: it.LastModified}
}

// Namespace resolves a name claim (pk NAME#<ddb.Lower(name)>) to a user or an
// organization.
func (s Store) Namespace(ctx context.Context, name string) (repo.Namespace, error) {
	var n ddb.NameClaim
	if err := s.Get(ctx, ddb.NamePK(name), "NAME", &n); err != nil {
		return repo.Namespace{}, ddb.NotFound(err)
	}
	k := ownerKind(n.Kind)
	if k == access.OwnerInvalid {
		return repo.Namespace{}, fmt.Errorf("name claim %s has kind %q", name, n.Kind)
	}
	return repo.Namespace{Name: n.Name, Kind: k, ID: n.ID}, nil
}

// claimHolds conditions a transaction on ns's name claim still naming the
// same owner.
func (s Store) claimHolds(name string, kind access.OwnerKind, id string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.Name),
		Key: ddb.Key(ddb.NamePK(name), "NAME"), ConditionExpression: aws.String("#k = :k AND #i = :i"),
		ExpressionAttributeNames:  map[string]string{"#k": "kind", "#i": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": ddb.S(ownerName(kind)), ":i": ddb.S(id)}}}
}

// CreateRepo writes the repository on condition that its key is free and
// the namespace claim still names its owner.
func (s Store) CreateRepo(ctx context.Context, r repo.Repo) error {
	err := s.Transact(ctx, []types.TransactWriteItem{
		s.claimHolds(r.Namespace, r.Owner, r.OwnerID),
		s.PutNew(toRepoItem(r)),
		s.dirWrite(r),
		s.putIDPointer(r),
	})
	if err == nil {
		return nil
	}
	for _, i := range ddb.FailedIndexes(err) {
		if i == 0 {
			return store.ErrNotFound
		}
	}
	if ddb.ConditionFailed(err) {
		return &store.ExistsError{Field: "repo"}
	}
	return fmt.Errorf("create repo: %w", err)
}

// Repo reads a repository (strongly consistent).
func (s Store) Repo(ctx context.Context, typ access.RepoType, ns, name string) (repo.Repo, error) {
	var it repoItem
	if err := s.Get(ctx, repoPK(typ, ns, name), repoSK, &it); err != nil {
		return repo.Repo{}, ddb.NotFound(err)
	}
	return it.domain(), nil
}

// RepoFacts returns visibility and owner kind (what the authorizer needs): one strongly
// consistent GetItem.
func (s Store) RepoFacts(ctx context.Context, typ access.RepoType, ns, name string) (access.RepoFacts, bool, error) {
	r, err := s.Repo(ctx, typ, ns, name)
	if errors.Is(err, store.ErrNotFound) {
		return access.RepoFacts{}, false, nil
	}
	if err != nil {
		return access.RepoFacts{}, false, err
	}
	return r.Facts(), true, nil
}

func (s Store) sameID(r repo.Repo) (string, map[string]string, map[string]types.AttributeValue) {
	return "#id = :id", map[string]string{"#id": "id"}, map[string]types.AttributeValue{":id": ddb.S(r.ID)}
}

// DeleteRepo deletes r if it is still the same repository.
func (s Store) DeleteRepo(ctx context.Context, r repo.Repo) error {
	cond, names, values := s.sameID(r)
	err := s.Transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(repoPK(r.Type, r.Namespace, r.Name), repoSK),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
		s.dirDelete(r),
	})
	if ddb.ConditionFailed(err) {
		return store.ErrNotFound
	}
	return err
}

// MoveRepo deletes the old item (same id) and writes the new one (free
// key, destination claim unchanged) in one transaction. A change of letter
// case only keeps the key and updates the item in place.
func (s Store) MoveRepo(ctx context.Context, from, to repo.Repo) error {
	oldPK, newPK := repoPK(from.Type, from.Namespace, from.Name), repoPK(to.Type, to.Namespace, to.Name)
	cond, names, values := s.sameID(from)
	if oldPK == newPK {
		it := toRepoItem(to)
		names["#ns"], names["#n"], names["#lm"] = "namespace", "name", "lastModified"
		values[":ns"], values[":n"] = ddb.S(it.Namespace), ddb.S(it.Name)
		values[":lm"] = ddb.S(it.LastModified.UTC().Format(time.RFC3339Nano))
		err := s.Transact(ctx, []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(oldPK, repoSK),
				UpdateExpression: aws.String("SET #ns = :ns, #n = :n, #lm = :lm"), ConditionExpression: aws.String(cond),
				ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
			s.dirWrite(to),
		})
		if ddb.ConditionFailed(err) {
			return store.ErrNotFound
		}
		return err
	}
	err := s.Transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(oldPK, repoSK), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
		s.claimHolds(to.Namespace, to.Owner, to.OwnerID),
		s.PutNew(toRepoItem(to)),
		s.dirDelete(from),
		s.dirWrite(to),
		s.putIDPointer(to),
	})
	if err == nil {
		return nil
	}
	for _, i := range ddb.FailedIndexes(err) {
		if i == 2 {
			return &store.ExistsError{Field: "repo"}
		}
	}
	if ddb.ConditionFailed(err) {
		return store.ErrNotFound
	}
	return fmt.Errorf("move repo: %w", err)
}

// UpdateRepo sets the changed settings on r (same id).
func (s Store) UpdateRepo(ctx context.Context, r repo.Repo, ch repo.SettingsChange, at time.Time) (repo.Repo, error) {
	cond, names, values := s.sameID(r)
	expr := "SET #lm = :lm"
	names["#lm"] = "lastModified"
	values[":lm"] = ddb.S(at.UTC().Format(time.RFC3339Nano))
	if ch.Private != nil {
		expr += ", #p = :p"
		names["#p"] = "private"
		values[":p"] = &types.AttributeValueMemberBOOL{Value: *ch.Private}
	}
	if ch.RequireSignedCommits != nil {
		expr += ", #r = :r"
		names["#r"] = "requireSignedCommits"
		values[":r"] = &types.AttributeValueMemberBOOL{Value: *ch.RequireSignedCommits}
	}
	if ch.AllowSecretsInPushes != nil {
		expr += ", #asp = :asp"
		names["#asp"] = "allowSecretsInPushes"
		values[":asp"] = &types.AttributeValueMemberBOOL{Value: *ch.AllowSecretsInPushes}
	}
	if ch.AllowServiceSignedCommits != nil {
		expr += ", #ass = :ass"
		names["#ass"] = "allowServiceSignedCommits"
		values[":ass"] = &types.AttributeValueMemberBOOL{Value: *ch.AllowServiceSignedCommits}
	}
	if ch.RequireSignedModels != nil {
		expr += ", #rsm = :rsm"
		names["#rsm"] = "requireSignedModels"
		values[":rsm"] = &types.AttributeValueMemberBOOL{Value: *ch.RequireSignedModels}
	}
	out := r
	out.LastModified = at.UTC()
	if ch.Private != nil {
		out.Private = *ch.Private
	}
	if ch.RequireSignedCommits != nil {
		out.RequireSignedCommits = *ch.RequireSignedCommits
	}
	if ch.AllowSecretsInPushes != nil {
		out.AllowSecretsInPushes = *ch.AllowSecretsInPushes
	}
	if ch.AllowServiceSignedCommits != nil {
		out.AllowServiceSignedCommits = *ch.AllowServiceSignedCommits
	}
	if ch.RequireSignedModels != nil {
		out.RequireSignedModels = *ch.RequireSignedModels
	}
	err := s.Transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(s.Name), Key: ddb.Key(repoPK(r.Type, r.Namespace, r.Name), repoSK),
			UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values}},
		s.dirWrite(out),
	})
	if ddb.ConditionFailed(err) {
		return repo.Repo{}, store.ErrNotFound
	}
	if err != nil {
		return repo.Repo{}, fmt.Errorf("update repo: %w", err)
	}
	return s.Repo(ctx, r.Type, r.Namespace, r.Name)
}

// ReposOf lists a namespace's repositories through gsi1 (eventually
// consistent), following every page: nothing is dropped.
func (s Store) ReposOf(ctx context.Context, ns string) ([]repo.Repo, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		IndexName:              aws.String("gsi1"),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S("NS#" + ddb.Lower(ns)), ":p": ddb.S("REPO#"),
		},
	}, math.MaxInt)
	if err != nil {
		return nil, err
	}
	return ddb.DecodeAll(items, repoItem.domain)
}

// ReposOfType implements repo.Store: one Query of gsi1, whose sort key
// REPO#<type>#<lower-case name> is the listing's order, from the cursor.
func (s Store) ReposOfType(ctx context.Context, ns string, typ access.RepoType, after string, limit int) ([]repo.Repo, bool, error) {
	prefix := "REPO#" + string(typ) + "#"
	in := &dynamodb.QueryInput{TableName: aws.String(s.Name),
		IndexName:              aws.String("gsi1"),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S("NS#" + ddb.Lower(ns)), ":from": ddb.S(prefix + ddb.Lower(after) + "\x00"), ":to": ddb.S(prefix + "\uffff"),
		},
		Limit: aws.Int32(int32(limit)),
	}
	if after == "" {
		in.ExpressionAttributeValues[":from"] = ddb.S(prefix)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, false, fmt.Errorf("list %s repos of %s: %w", typ, ns, err)
	}
	repos, err := ddb.DecodeAll(out.Items, repoItem.domain)
	return repos, out.LastEvaluatedKey != nil, err
}

// PublicRepos lists public repositories of a type in name order from the
// directory, limit at a time after the cursor after (a lower-case
// "ns/name"), keeping those whose "ns/name" contains search (lower case).
// next is "" on the last page. A page may hold fewer than limit entries
// when search filters some out.
func (s Store) PublicRepos(ctx context.Context, typ access.RepoType, search, after string, limit int) ([]repo.Repo, string, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(s.Name), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": ddb.S(dirPK(typ))}, Limit: aws.Int32(int32(limit))}
	if search != "" {
		in.FilterExpression = aws.String("contains(#m, :q)")
		in.ExpressionAttributeNames = map[string]string{"#m": "match"}
		in.ExpressionAttributeValues[":q"] = ddb.S(ddb.Lower(search))
	}
	if after != "" {
		in.ExclusiveStartKey = ddb.Key(dirPK(typ), after)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list public repos: %w", err)
	}
	repos, err := ddb.DecodeAll(out.Items, dirItem.domain)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if sk, ok := out.LastEvaluatedKey["sk"].(*types.AttributeValueMemberS); ok {
		next = sk.Value
	}
	return repos, next, nil
}
