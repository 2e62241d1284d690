package repoddb

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/repo"
)

// dirItem lists a public repository: pk REPODIR#<type>, sk
// <ddb.Lower(ns)>/<ddb.Lower(name)>. It exists exactly while the repository is
// public, written in the same transaction as the repository, so that
// GET /api/models without an author lists public repositories in name
// order with one Query.
type dirItem struct {
	PK           string    `dynamodbav:"pk"`
	SK           string    `dynamodbav:"sk"`
	Match        string    `dynamodbav:"match"` // sk again: filters cannot read key attributes
	ID           string    `dynamodbav:"id"`
	Type         string    `dynamodbav:"type"`
	Namespace    string    `dynamodbav:"namespace"`
	Name         string    `dynamodbav:"name"`
	Owner        string    `dynamodbav:"owner"`
	OwnerID      string    `dynamodbav:"ownerId"`
	SignedOnly   bool      `dynamodbav:"requireSignedCommits"`
	SDK          string    `dynamodbav:"sdk,omitempty"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
	LastModified time.Time `dynamodbav:"lastModified"`
}

func dirPK(typ access.RepoType) string { return "REPODIR#" + string(typ) }

func dirSK(ns, name string) string { return ddb.Lower(ns) + "/" + ddb.Lower(name) }

func (it dirItem) domain() repo.Repo {
	return repo.Repo{ID: it.ID, Type: access.RepoType(it.Type), Namespace: it.Namespace, Name: it.Name,
		Owner: ownerKind(it.Owner), OwnerID: it.OwnerID, RequireSignedCommits: it.SignedOnly, SDK: it.SDK, CreatedAt: it.CreatedAt, LastModified: it.LastModified}
}

// dirWrite returns the write that makes the directory agree with r: a put
// while r is public, a delete otherwise.
func (s Store) dirWrite(r repo.Repo) types.TransactWriteItem {
	if r.Private {
		return s.dirDelete(r)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(dirItem{
		PK: dirPK(r.Type), SK: dirSK(r.Namespace, r.Name), Match: dirSK(r.Namespace, r.Name), ID: r.ID, Type: string(r.Type), Namespace: r.Namespace, Name: r.Name,
		Owner: ownerName(r.Owner), OwnerID: r.OwnerID, SignedOnly: r.RequireSignedCommits, SDK: r.SDK, CreatedAt: r.CreatedAt, LastModified: r.LastModified})}}
}

func (s Store) dirDelete(r repo.Repo) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.Name), Key: ddb.Key(dirPK(r.Type), dirSK(r.Namespace, r.Name))}}
}
