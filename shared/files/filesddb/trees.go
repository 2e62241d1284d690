package filesddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/files"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// The index by tree: a git tree is kept once per repository under its id,
// pk TREE#<repoId>#<treeId>, as pages of its entries (sk P#0000, P#0001,
// ...; attribute e: the entries as JSON, at most pageEntries of them and
// pageBytes). Page P#0000 also says how many pages there are, and is
// written after the others: a tree whose first page reads is complete.
// A commit's mark (#INDEXED) names its root tree. A push that changes one
// file adds the trees on that file's path (and their pages) and a mark:
// what it writes does not grow with the repository.

const (
	pageEntries = 1000
	pageBytes   = 300 << 10 // DynamoDB's item limit is 400 KB
	// writeParallel bounds the concurrent BatchWriteItem calls of one
	// PutTrees, readParallel the concurrent tree reads of one listing.
	writeParallel = 8
	readParallel  = 8
)

var (
	_ files.TreeStore  = Store{}
	_ files.LevelStore = Store{}
)

func treePK(repoID, tree string) string { return "TREE#" + repoID + "#" + tree }

func pageSK(n int) string { return fmt.Sprintf("P#%04d", n) }

type pageItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Entries string `dynamodbav:"e"`
	Pages   int    `dynamodbav:"pages,omitempty"`
	// KeyBase: files.Tree.KeyBase, on every page.
	KeyBase string `dynamodbav:"kb,omitempty"`
}

// pages splits nodes into the JSON of each page.
func pages(nodes []files.Node) ([]string, error) {
	var out []string
	var cur []json.RawMessage
	size := 0
	flush := func() {
		b, _ := json.Marshal(cur)
		out = append(out, string(b))
		cur, size = nil, 0
	}
	for _, n := range nodes {
		b, err := json.Marshal(n)
		if err != nil {
			return nil, err
		}
		if len(cur) > 0 && (len(cur) == pageEntries || size+len(b)+1 > pageBytes) {
			flush()
		}
		cur = append(cur, b)
		size += len(b) + 1
	}
	if len(cur) > 0 || len(out) == 0 {
		flush()
	}
	return out, nil
}

// MissingTrees implements files.TreeStore: the first page of each tree,
// 100 keys per BatchGetItem (reads only the keys).
func (s Store) MissingTrees(ctx context.Context, repoID string, ids []string) ([]string, error) {
	have := map[string]bool{}
	for start := 0; start < len(ids); start += 100 {
		end := min(start+100, len(ids))
		keys := make([]map[string]types.AttributeValue, 0, end-start)
		seen := map[string]bool{}
		for _, id := range ids[start:end] {
			if !seen[id] {
				seen[id] = true
				keys = append(keys, ddb.Key(treePK(repoID, id), pageSK(0)))
			}
		}
		pending := map[string]types.KeysAndAttributes{s.Name: {Keys: keys, ProjectionExpression: aws.String("pk"), ConsistentRead: aws.Bool(true)}}
		for tries := 0; len(pending) > 0; tries++ {
			if tries > 0 {
				if err := ddb.Backoff(ctx, tries); err != nil {
					return nil, err
				}
			}
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("read trees: %w", err)
			}
			for _, m := range res.Responses[s.Name] {
				if pk, ok := m["pk"].(*types.AttributeValueMemberS); ok {
					have[pk.Value] = true
				}
			}
			pending = res.UnprocessedKeys
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if !have[treePK(repoID, id)] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// PutTrees implements files.TreeStore: every page but the first of every
// tree, then the first pages, each phase in BatchWriteItem calls of 25
// items, writeParallel at once.
func (s Store) PutTrees(ctx context.Context, repoID string, trees []files.Tree) (int, error) {
	var rest, first []types.WriteRequest
	for _, t := range trees {
		ps, err := pages(t.Nodes)
		if err != nil {
			return 0, err
		}
		for i, p := range ps {
			it := pageItem{PK: treePK(repoID, t.ID), SK: pageSK(i), Entries: p, KeyBase: t.KeyBase}
			if i == 0 {
				it.Pages = len(ps)
			}
			wr := types.WriteRequest{PutRequest: &types.PutRequest{Item: ddb.Marshal(it)}}
			if i == 0 {
				first = append(first, wr)
			} else {
				rest = append(rest, wr)
			}
		}
	}
	if err := s.batchWrite(ctx, rest); err != nil {
		return 0, err
	}
	if err := s.batchWrite(ctx, first); err != nil {
		return 0, err
	}
	return len(rest) + len(first), nil
}

// batchWrite writes reqs in batches of 25, writeParallel at once,
// retrying what DynamoDB leaves unprocessed.
func (s Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, writeParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for start := 0; start < len(reqs); start += 25 {
		batch := reqs[start:min(start+25, len(reqs))]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			pending := map[string][]types.WriteRequest{s.Name: batch}
			for tries := 0; len(pending) > 0; tries++ {
				if tries > 0 {
					if err := ddb.Backoff(ctx, min(tries, 10)); err != nil {
						pending = nil
						mu.Lock()
						first = errors.Join(first, err)
						mu.Unlock()
						return
					}
				}
				res, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("write trees: %w", err)
					}
					mu.Unlock()
					cancel()
					return
				}
				pending = res.UnprocessedItems
				if len(pending[s.Name]) == 0 {
					pending = nil
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// MarkCommit implements files.TreeStore.
func (s Store) MarkCommit(ctx context.Context, repoID, commit, tree string, writes int, at time.Time) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name),
		Item: ddb.Marshal(markItem{PK: filesPK(repoID, commit), SK: indexedSK, Tree: tree, Writes: writes, IndexedAt: at})})
	if err != nil {
		return fmt.Errorf("mark commit indexed: %w", err)
	}
	return nil
}

// Mark is what a commit's mark says.
type Mark struct {
	Tree      string
	Writes    int // index items written when it was indexed, the mark included
	IndexedAt time.Time
}

// Mark reads commit's mark; ok false when it is not indexed.
func (s Store) Mark(ctx context.Context, repoID, commit string) (Mark, bool, error) {
	var m markItem
	err := s.Get(ctx, filesPK(repoID, commit), indexedSK, &m)
	if errors.Is(err, ddb.ErrNoItem) {
		return Mark{}, false, nil
	}
	if err != nil {
		return Mark{}, false, err
	}
	return Mark{Tree: m.Tree, Writes: m.Writes, IndexedAt: m.IndexedAt}, true, nil
}

// tree reads all pages of one tree.
func (s Store) tree(ctx context.Context, repoID, id string) ([]files.Node, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": ddb.S(treePK(repoID, id)), ":p": ddb.S("P#")},
	}, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", id, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("tree %s of an indexed commit is missing", id)
	}
	var out []files.Node
	for _, m := range items {
		var it pageItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		var ns []files.Node
		if err := json.Unmarshal([]byte(it.Entries), &ns); err != nil {
			return nil, fmt.Errorf("tree %s: %w", id, err)
		}
		for i := range ns {
			ns[i].KeyBase = it.KeyBase
		}
		out = append(out, ns...)
	}
	return out, nil
}

// walk finds the tree of folder dir ("" for the root) under root.
func (s Store) walk(ctx context.Context, repoID, root, dir string) (string, bool, error) {
	id := root
	if dir == "" {
		return id, true, nil
	}
	for _, seg := range strings.Split(dir, "/") {
		nodes, err := s.tree(ctx, repoID, id)
		if err != nil {
			return "", false, err
		}
		found := false
		for _, n := range nodes {
			if n.Name == seg && n.IsTree() {
				id, found = n.ID, true
				break
			}
		}
		if !found {
			return "", false, nil
		}
	}
	return id, true, nil
}

// fileInTree reads one file by path under root.
func (s Store) fileInTree(ctx context.Context, repoID, root, path string) (files.Entry, bool, error) {
	dir, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	id, ok, err := s.walk(ctx, repoID, root, dir)
	if err != nil || !ok {
		return files.Entry{}, false, err
	}
	nodes, err := s.tree(ctx, repoID, id)
	if err != nil {
		return files.Entry{}, false, err
	}
	for _, n := range nodes {
		if n.Name == name && !n.IsTree() {
			return files.NodeEntry(path, n), true, nil
		}
	}
	return files.Entry{}, false, nil
}

// filesInTree lists every file under root whose path starts with prefix:
// the folder part of prefix is walked to, then everything below it is
// read, readParallel trees at a time.
func (s Store) filesInTree(ctx context.Context, repoID, root, prefix string) ([]files.Entry, error) {
	dir, rest := "", prefix
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir, rest = prefix[:i], prefix[i+1:]
	}
	start, ok, err := s.walk(ctx, repoID, root, dir)
	if err != nil || !ok {
		return nil, err
	}
	base := ""
	if dir != "" {
		base = dir + "/"
	}
	type job struct{ id, base, filter string }
	var (
		mu    sync.Mutex
		out   []files.Entry
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, readParallel)
	// A folder repeated under several paths (the same tree id) is read
	// once.
	type read struct {
		once  sync.Once
		nodes []files.Node
		err   error
	}
	var readsMu sync.Mutex
	reads := map[string]*read{}
	readTree := func(id string) ([]files.Node, error) {
		readsMu.Lock()
		rd := reads[id]
		if rd == nil {
			rd = &read{}
			reads[id] = rd
		}
		readsMu.Unlock()
		rd.once.Do(func() {
			sem <- struct{}{}
			rd.nodes, rd.err = s.tree(ctx, repoID, id)
			<-sem
		})
		return rd.nodes, rd.err
	}
	var visit func(j job)
	visit = func(j job) {
		defer wg.Done()
		nodes, err := readTree(j.id)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if first == nil {
				first = err
			}
			return
		}
		for _, n := range nodes {
			if !strings.HasPrefix(n.Name, j.filter) {
				continue
			}
			if n.IsTree() {
				wg.Add(1)
				go visit(job{n.ID, j.base + n.Name + "/", ""})
				continue
			}
			out = append(out, files.NodeEntry(j.base+n.Name, n))
		}
	}
	wg.Add(1)
	visit(job{start, base, rest})
	wg.Wait()
	if first != nil {
		return nil, first
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// RootTree implements files.LevelStore: the root tree the commit's mark
// names; ok false for a commit not indexed, or indexed before trees were.
func (s Store) RootTree(ctx context.Context, repoID, commit string) (string, bool, error) {
	m, ok, err := s.Mark(ctx, repoID, commit)
	if err != nil || !ok || m.Tree == "" {
		return "", false, err
	}
	return m.Tree, true, nil
}

// Tree implements files.LevelStore.
func (s Store) Tree(ctx context.Context, repoID, id string) ([]files.Node, error) {
	return s.tree(ctx, repoID, id)
}

// countsSK is a tree's cached folder counts, beside its pages (a tree's
// pages are read with begins_with P#, so the two never mix).
const countsSK = "COUNTS"

type countsItem struct {
	PK       string    `dynamodbav:"pk"`
	SK       string    `dynamodbav:"sk"`
	Files    int       `dynamodbav:"files"`
	Infected int       `dynamodbav:"infected"`
	Pending  int       `dynamodbav:"pending"`
	Errors   int       `dynamodbav:"errors"`
	At       time.Time `dynamodbav:"at"`
}

// FolderCounts implements files.LevelStore: 100 trees per BatchGetItem.
func (s Store) FolderCounts(ctx context.Context, repoID string, trees []string) (map[string]files.FolderCounts, error) {
	keys := make([][2]string, len(trees))
	byPK := make(map[string]string, len(trees))
	for i, id := range trees {
		keys[i] = [2]string{treePK(repoID, id), countsSK}
		byPK[keys[i][0]] = id
	}
	items, err := s.BatchGet(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("read folder counts: %w", err)
	}
	out := make(map[string]files.FolderCounts, len(items))
	for _, m := range items {
		var it countsItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out[byPK[it.PK]] = files.FolderCounts{Files: it.Files, Infected: it.Infected, Pending: it.Pending, Errors: it.Errors, At: it.At}
	}
	return out, nil
}

// PutFolderCounts implements files.LevelStore.
func (s Store) PutFolderCounts(ctx context.Context, repoID, tree string, c files.FolderCounts) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name), Item: ddb.Marshal(countsItem{
		PK: treePK(repoID, tree), SK: countsSK, Files: c.Files, Infected: c.Infected, Pending: c.Pending, Errors: c.Errors, At: c.At})})
	if err != nil {
		return fmt.Errorf("cache folder counts: %w", err)
	}
	return nil
}
