package lfsddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hubsec/trustlayer/shared/access"
	"github.com/hubsec/trustlayer/shared/lfs"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// Files implements lfs.Files: pk LFSFILES#<repository id>, sk OID#<oid>,
// one item per LFS object recorded in a repository (by the verify action,
// or by a batch upload of an object already stored). Keyed by id, not
// name, so a moved repository keeps its files and a new repository under
// a freed name does not inherit the old one's; reads check the id too.
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

func lfsPK(repoID string) string { return "LFSFILES#" + repoID }

func (it lfsFileItem) domain() lfs.File {
	return lfs.File{Type: access.RepoType(it.Type), Namespace: it.Namespace, Name: it.Name, RepoID: it.RepoID, OID: it.OID,
		Size: it.Size, Key: it.Key, VersionID: it.Version, ETag: it.ETag, UploadedAt: it.UploadedAt, UploadedBy: it.UploadedBy}
}

// PutFile implements lfs.Files (the latest upload of an oid wins).
func (s Files) PutFile(ctx context.Context, f lfs.File) error {
	if f.RepoID == "" {
		return fmt.Errorf("record LFS file %s: no repository id", f.OID)
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(lfsFileItem{
		PK: lfsPK(f.RepoID), SK: "OID#" + f.OID, Type: string(f.Type), Namespace: f.Namespace, Name: f.Name,
		RepoID: f.RepoID, OID: f.OID, Size: f.Size, Key: f.Key, Version: f.VersionID, ETag: f.ETag,
		UploadedAt: f.UploadedAt, UploadedBy: f.UploadedBy})})
	if err != nil {
		return fmt.Errorf("record LFS file %s: %w", f.OID, err)
	}
	return nil
}

// File implements lfs.Files.
func (s Files) File(ctx context.Context, repoID, oid string) (lfs.File, bool, error) {
	var it lfsFileItem
	err := s.Get(ctx, lfsPK(repoID), "OID#"+oid, &it)
	if errors.Is(err, ddb.ErrNoItem) || (err == nil && it.RepoID != repoID) {
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
func (s Files) Files(ctx context.Context, repoID string) ([]lfs.File, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S(lfsPK(repoID)), ":p": ddb.S("OID#"),
		},
		ConsistentRead: aws.Bool(true),
	}, maxListedFiles)
	if err != nil {
		return nil, fmt.Errorf("list LFS files: %w", err)
	}
	files, err := ddb.DecodeAll(items, lfsFileItem.domain)
	if err != nil {
		return nil, err
	}
	out := files[:0]
	for _, f := range files {
		if f.RepoID == repoID {
			out = append(out, f)
		}
	}
	return out, nil
}
