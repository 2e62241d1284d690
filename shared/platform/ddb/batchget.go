package ddb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BatchGetSize is the most keys one BatchGetItem call takes.
const BatchGetSize = 100

// batchGetParallel bounds the concurrent BatchGetItem calls of one BatchGet.
const batchGetParallel = 4

// BatchGet reads the items of keys (pk, sk pairs) in BatchGetItem calls of
// 100 keys, a few at once, retrying what DynamoDB leaves unprocessed, and
// returns the items found (in no particular order; a missing key is simply
// absent). Duplicate keys are read once. consistent asks for strongly
// consistent reads.
func (t Table) BatchGet(ctx context.Context, keys [][2]string, consistent bool) ([]map[string]types.AttributeValue, error) {
	seen := make(map[[2]string]bool, len(keys))
	uniq := make([][2]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		out   []map[string]types.AttributeValue
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, batchGetParallel)
	for start := 0; start < len(uniq); start += BatchGetSize {
		batch := uniq[start:min(start+BatchGetSize, len(uniq))]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ks := make([]map[string]types.AttributeValue, len(batch))
			for i, k := range batch {
				ks[i] = Key(k[0], k[1])
			}
			pending := map[string]types.KeysAndAttributes{t.Name: {Keys: ks, ConsistentRead: aws.Bool(consistent)}}
			for tries := 0; len(pending) > 0 && len(pending[t.Name].Keys) > 0; tries++ {
				if tries > 0 {
					if err := Backoff(ctx, min(tries, 10)); err != nil {
						mu.Lock()
						first = errors.Join(first, err)
						mu.Unlock()
						return
					}
				}
				res, err := t.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("batch get: %w", err)
					}
					mu.Unlock()
					cancel()
					return
				}
				mu.Lock()
				out = append(out, res.Responses[t.Name]...)
				mu.Unlock()
				pending = res.UnprocessedKeys
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}
