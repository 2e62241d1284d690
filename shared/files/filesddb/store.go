// Package filesddb stores the file index of package files.
//
// Items:
//   - a git tree, once per repository by its id (see trees.go): pk
//     TREE#<repoId>#<treeId>, sk P#<page>, its entries;
//   - the commit's "indexed" mark, written after its trees: pk
//     FILES#<repoId>#<commit>, sk #INDEXED, naming its root tree;
//   - (older marks without a tree) a file of a commit's tree: pk
//     FILES#<repoId>#<commit>, sk P#<path>, read as before;
//   - the commit's model card (front matter as JSON, the markdown body,
//     the eval results with provenance): pk FILES#<repoId>#<commit>, sk #CARD;
//
// Refs are package gitref's (gitrefddb).
//
// No item has a TTL: the index follows the repository's history.
package filesddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// Store implements files.Store.
type Store struct{ ddb.Table }

var (
	_ files.Store     = Store{}
	_ files.CardStore = Store{}
)

// maxListed bounds one listing.
const maxListed = 200000

const indexedSK = "#INDEXED"

func filesPK(repoID, commit string) string { return "FILES#" + repoID + "#" + commit }

type fileItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Path    string `dynamodbav:"path"`
	Mode    string `dynamodbav:"mode"`
	Size    int64  `dynamodbav:"size"`
	BlobID  string `dynamodbav:"blobId"`
	SHA256  string `dynamodbav:"sha256,omitempty"`
	LFSOID  string `dynamodbav:"lfsOid,omitempty"`
	LFSSize int64  `dynamodbav:"lfsSize,omitempty"`
}

type markItem struct {
	PK        string    `dynamodbav:"pk"`
	SK        string    `dynamodbav:"sk"`
	Files     int       `dynamodbav:"files,omitempty"`
	Tree      string    `dynamodbav:"tree,omitempty"`   // the root tree (index by tree)
	Writes    int       `dynamodbav:"writes,omitempty"` // items written to index it
	IndexedAt time.Time `dynamodbav:"indexedAt"`
}

// CommitIndexed implements files.Store.
func (s Store) CommitIndexed(ctx context.Context, repoID, commit string) (bool, error) {
	var m markItem
	err := s.Get(ctx, filesPK(repoID, commit), indexedSK, &m)
	if errors.Is(err, ddb.ErrNoItem) {
		return false, nil
	}
	return err == nil, err
}

// PutCommit implements files.Store: the files in transactions of 100
// puts, then the mark, so a commit is never marked with files missing.
func (s Store) PutCommit(ctx context.Context, repoID, commit string, fs []files.Entry, at time.Time) error {
	pk := filesPK(repoID, commit)
	var batch []types.TransactWriteItem
	for i, f := range fs {
		it := fileItem{PK: pk, SK: "P#" + f.Path, Path: f.Path, Mode: f.Mode, Size: f.Size, BlobID: f.BlobID, SHA256: f.SHA256}
		if f.LFS != nil {
			it.LFSOID, it.LFSSize = f.LFS.OID, f.LFS.Size
		}
		batch = append(batch, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(it)}})
		if len(batch) == 100 || i == len(fs)-1 {
			if err := s.Transact(ctx, batch); err != nil {
				return fmt.Errorf("write files: %w", err)
			}
			batch = batch[:0]
		}
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name),
		Item: ddb.Marshal(markItem{PK: pk, SK: indexedSK, Files: len(fs), IndexedAt: at})})
	if err != nil {
		return fmt.Errorf("mark commit indexed: %w", err)
	}
	return nil
}

// File implements files.Store.
func (s Store) File(ctx context.Context, repoID, commit, path string) (files.Entry, bool, error) {
	if m, ok, err := s.Mark(ctx, repoID, commit); err != nil || !ok {
		return files.Entry{}, false, err
	} else if m.Tree != "" {
		return s.fileInTree(ctx, repoID, m.Tree, path)
	}
	var it fileItem
	err := s.Get(ctx, filesPK(repoID, commit), "P#"+path, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return files.Entry{}, false, nil
	}
	if err != nil {
		return files.Entry{}, false, fmt.Errorf("read file: %w", err)
	}
	return entry(it), true, nil
}

func entry(it fileItem) files.Entry {
	e := files.Entry{Path: it.Path, Mode: it.Mode, Size: it.Size, BlobID: it.BlobID, SHA256: it.SHA256}
	if it.LFSOID != "" {
		e.LFS = &files.LFSPointer{OID: it.LFSOID, Size: it.LFSSize}
	}
	return e
}

// Files implements files.Store.
func (s Store) Files(ctx context.Context, repoID, commit, prefix string) ([]files.Entry, error) {
	if m, ok, err := s.Mark(ctx, repoID, commit); err != nil || !ok {
		return nil, err
	} else if m.Tree != "" {
		return s.filesInTree(ctx, repoID, m.Tree, prefix)
	}
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": ddb.S(filesPK(repoID, commit)), ":p": ddb.S("P#" + prefix),
		},
	}, maxListed)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return ddb.DecodeAll(items, entry)
}

// cardSK is a commit's model card: same pk as its files.
const cardSK = "#CARD"

// maxCardItem keeps a card item under DynamoDB's 400 KB: the body gives
// way first.
const maxCardItem = 380 << 10

type cardItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Data      string `dynamodbav:"data,omitempty"` // JSON object
	Error     string `dynamodbav:"error,omitempty"`
	Body      string `dynamodbav:"body,omitempty"`
	Truncated bool   `dynamodbav:"truncated,omitempty"`
	Evals     string `dynamodbav:"evals,omitempty"` // JSON array
}

// PutCard implements files.CardStore.
func (s Store) PutCard(ctx context.Context, repoID, commit string, c files.Card) error {
	it := cardItem{PK: filesPK(repoID, commit), SK: cardSK, Error: c.Error, Body: c.Body, Truncated: c.Truncated}
	if c.Data != nil {
		b, err := json.Marshal(c.Data)
		if err != nil {
			return fmt.Errorf("encode card data: %w", err)
		}
		it.Data = string(b)
	}
	if len(c.Evals) > 0 {
		b, err := json.Marshal(c.Evals)
		if err != nil {
			return fmt.Errorf("encode eval results: %w", err)
		}
		it.Evals = string(b)
	}
	if room := maxCardItem - len(it.Data) - len(it.Evals) - len(it.Error); len(it.Body) > room {
		it.Body, it.Truncated = strings.ToValidUTF8(it.Body[:max(room, 0)], ""), true
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(it)})
	if err != nil {
		return fmt.Errorf("write card: %w", err)
	}
	return nil
}

// Card implements files.CardStore.
func (s Store) Card(ctx context.Context, repoID, commit string) (files.Card, bool, error) {
	var it cardItem
	err := s.Get(ctx, filesPK(repoID, commit), cardSK, &it)
	if errors.Is(err, ddb.ErrNoItem) {
		return files.Card{}, false, nil
	}
	if err != nil {
		return files.Card{}, false, fmt.Errorf("read card: %w", err)
	}
	c := files.Card{Error: it.Error, Body: it.Body, Truncated: it.Truncated}
	if it.Data != "" {
		if err := json.Unmarshal([]byte(it.Data), &c.Data); err != nil {
			return files.Card{}, false, fmt.Errorf("decode card data: %w", err)
		}
	}
	if it.Evals != "" {
		if err := json.Unmarshal([]byte(it.Evals), &c.Evals); err != nil {
			return files.Card{}, false, fmt.Errorf("decode eval results: %w", err)
		}
	}
	return c, true, nil
}
