package lfsddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hubsec/trustlayer/internal/access"
	"github.com/hubsec/trustlayer/internal/lfs"
	"github.com/hubsec/trustlayer/internal/platform/ddb"
)

// Files implements lfs.Files: pk LFS#<type>#<lower(ns)>/<lower(name)>,
// sk OID#<oid>, one item per LFS object recorded in a repository (by the
// verify action, or by a batch upload of an object already stored).
type Files struct{ ddb.Table }

var _ lfs.Files = Files{}

type lfsFileItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Type       string    `dynamodbav:"type"`
	Namespace  string    `dynamodbav:"namespace"`
	Name       string    `dynamodbav:"name"`
	RepoID     string    `dynamodbav:"repoId"`
	OID        string    `dynamodbav:"oid"`
	Size       int64     `dynamodbav:"size"`
	Key        string    `dynamodbav:"key"`
	Version    string    `dynamodbav:"version"`
	ETag       string    `dynamodbav:"etag"`
	UploadedAt time.Time `dynamodbav:"uploadedAt"`
	UploadedBy string    `dynamodbav:"uploadedBy"`
}

func lfsPK(typ access.RepoType, ns, name string) string {
	return "LFS#" + string(typ) + "#" + ddb.Lower(ns) + "/" + ddb.Lower(name)
}

func (it lfsFileItem) domain() lfs.File {
	return lfs.File{Type: access.RepoType(it.Type), Namespace: it.Namespace, Name: it.Name, RepoID: it.RepoID, OID: it.OID,
		Size: it.Size, Key: it.Key, VersionID: it.Version, ETag: it.ETag, UploadedAt: it.UploadedAt, UploadedBy: it.UploadedBy}
}

// PutFile implements lfs.Files (the latest upload of an oid wins).
func (s Files) PutFile(ctx context.Context, f lfs.File) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(lfsFileItem{
		PK: lfsPK(f.Type, f.Namespace, f.Name), SK: "OID#" + f.OID, Type: string(f.Type), Namespace: f.Namespace, Name: f.Name,
		RepoID: f.RepoID, OID: f.OID, Size: f.Size, Key: f.Key, Version: f.VersionID, ETag: f.ETag,
		UploadedAt: f.UploadedAt, UploadedBy: f.UploadedBy})})
	if err != nil {
		return fmt.Errorf("record LFS file %s: %w", f.OID, err)
	}
	return nil
}

// File implements lfs.Files.
func (s Files) File(ctx context.Context, typ access.RepoType, ns, name, oid string) (lfs.File, bool, error) {
	var it lfsFileItem
	err := s.Get(ctx, lfsPK(typ, ns, name), "OID#"+oid, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return lfs.File{}, false, nil
	}
	if err != nil {
		return lfs.File{}, false, err
	}
	return it.domain(), true, nil
}

// maxListedFiles bounds one file list.
const maxListedFiles = 10000

// Files implements lfs.Files (strongly consistent, by oid).
func (s Files) Files(ctx context.Context, typ access.RepoType, ns, name string) ([]lfs.File, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S(lfsPK(typ, ns, name)), ":p": ddb.S("OID#"),
		},
		ConsistentRead: aws.Bool(true),
	}, maxListedFiles)
	if err != nil {
		return nil, fmt.Errorf("list LFS files: %w", err)
	}
	return ddb.DecodeAll(items, lfsFileItem.domain)
}
