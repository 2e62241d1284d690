package ddb

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A key that every writer shares (a due list, an expiry list) puts all of
// them on one partition: DynamoDB serves one partition at most 1,000
// writes and 3,000 reads a second, and a global index's partition throttles
// the table's writes when it falls behind. Sharded keys spread such items
// over n partitions by a hash of what they name; readers query every shard
// and merge.

// Shard returns the partition key of id among n shards of prefix:
// "<prefix>#<k>", k = fnv-1a(id) mod n.
func Shard(prefix, id string, n int) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return fmt.Sprintf("%s#%02d", prefix, h.Sum32()%uint32(n))
}

// Shards returns every partition key of prefix's n shards, and prefix
// itself last: items written before the key was sharded stay readable.
func Shards(prefix string, n int) []string {
	out := make([]string, 0, n+1)
	for k := 0; k < n; k++ {
		out = append(out, fmt.Sprintf("%s#%02d", prefix, k))
	}
	return append(out, prefix)
}

// QueryShards runs build(pk) for every pk side by side, each returning up
// to max items, and merges them by the string attribute sortAttr
// (ascending), returning at most max.
func (t Table) QueryShards(ctx context.Context, pks []string, build func(pk string) *dynamodb.QueryInput, sortAttr string, max int) ([]map[string]types.AttributeValue, error) {
	results := make([][]map[string]types.AttributeValue, len(pks))
	errs := make([]error, len(pks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, pk := range pks {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, pk string) {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = t.Query(ctx, build(pk), max)
		}(i, pk)
	}
	wg.Wait()
	var all []map[string]types.AttributeValue
	for i := range pks {
		if errs[i] != nil {
			return nil, fmt.Errorf("shard %s: %w", pks[i], errs[i])
		}
		all = append(all, results[i]...)
	}
	str := func(m map[string]types.AttributeValue) string {
		if v, ok := m[sortAttr].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	sort.SliceStable(all, func(i, j int) bool { return str(all[i]) < str(all[j]) })
	if len(all) > max {
		all = all[:max]
	}
	return all, nil
}
