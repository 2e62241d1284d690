package commitverifyddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/commitverify"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/store"
	"github.com/hubsec/trustlayer/shared/signature"
)

// Store implements commitverify.Store.
type Store struct{ ddb.Table }

var _ commitverify.Store = Store{}

// commitRecordItem is the verification of one object in one repository:
// pk SIGREC#<repoId>, sk OBJ#<object id>. It has no TTL: records persist.
// Result is the JSON of signature.Result (without the payload); the
// top-level attributes repeat the verdict for people reading the table.
type commitRecordItem struct {
	PK          string    `dynamodbav:"pk"`
	SK          string    `dynamodbav:"sk"`
	RepoID      string    `dynamodbav:"repoId"`
	Repo        string    `dynamodbav:"repo"`
	ObjectID    string    `dynamodbav:"objectId"`
	Kind        string    `dynamodbav:"kind"`
	Status      string    `dynamodbav:"status"`
	Reason      string    `dynamodbav:"reason"`
	VerifiedAt  time.Time `dynamodbav:"verifiedAt"`
	SubmittedBy string    `dynamodbav:"submittedBy"`
	Result      string    `dynamodbav:"result"`
	Parents     []string  `dynamodbav:"parents,omitempty"`
	Message     string    `dynamodbav:"message,omitempty"`
}

func sigRecPK(repoID string) string { return "SIGREC#" + repoID }
func objSK(objectID string) string  { return "OBJ#" + objectID }

func (it commitRecordItem) domain() (commitverify.Record, error) {
	var res signature.Result
	if err := json.Unmarshal([]byte(it.Result), &res); err != nil {
		return commitverify.Record{}, fmt.Errorf("decode record %s: %w", it.ObjectID, err)
	}
	return commitverify.Record{RepoID: it.RepoID, Repo: it.Repo, SubmittedBy: it.SubmittedBy, Parents: it.Parents, Message: it.Message, Result: res}, nil
}

// PutRecord writes rec on condition that no record of its object exists in
// its repository; when one does, the stored one is returned unchanged.
func (s Store) PutRecord(ctx context.Context, rec commitverify.Record) (commitverify.Record, bool, error) {
	it, err := s.item(rec)
	if err != nil {
		return commitverify.Record{}, false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Name), Item: ddb.Marshal(it),
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return rec, true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return commitverify.Record{}, false, fmt.Errorf("put record %s: %w", rec.ObjectID, err)
	}
	if ccf.Item != nil {
		var old commitRecordItem
		if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil {
			return commitverify.Record{}, false, err
		}
		prev, err := old.domain()
		return prev, false, err
	}
	prev, err := s.Record(ctx, rec.RepoID, rec.ObjectID)
	if err != nil {
		return commitverify.Record{}, false, fmt.Errorf("read existing record %s: %w", rec.ObjectID, err)
	}
	return prev, false, nil
}

// Record reads the record of objectID in repoID (strongly consistent).
func (s Store) Record(ctx context.Context, repoID, objectID string) (commitverify.Record, error) {
	var it commitRecordItem
	if err := s.Get(ctx, sigRecPK(repoID), objSK(objectID), &it); err != nil {
		if errors.Is(err, ddb.ErrNoItem) {
			return commitverify.Record{}, store.ErrNotFound
		}
		return commitverify.Record{}, err
	}
	return it.domain()
}

// Records implements commitverify.Store with BatchGetItem (strongly
// consistent), 100 keys at a time.
func (s Store) Records(ctx context.Context, repoID string, ids []string) (map[string]commitverify.Record, error) {
	out := map[string]commitverify.Record{}
	for len(ids) > 0 {
		n := min(100, len(ids))
		keys := make([]map[string]types.AttributeValue, 0, n)
		seen := map[string]bool{}
		for _, id := range ids[:n] {
			if !seen[id] {
				seen[id] = true
				keys = append(keys, ddb.Key(sigRecPK(repoID), objSK(id)))
			}
		}
		ids = ids[n:]
		req := map[string]types.KeysAndAttributes{s.Name: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for try := 0; len(req) > 0; try++ {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("read records: %w", err)
			}
			for _, m := range res.Responses[s.Name] {
				var it commitRecordItem
				if err := attributevalue.UnmarshalMap(m, &it); err != nil {
					return nil, err
				}
				rec, err := it.domain()
				if err != nil {
					return nil, err
				}
				out[it.ObjectID] = rec
			}
			req = res.UnprocessedKeys
			if len(req) > 0 {
				if err := ddb.Backoff(ctx, try+1); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// PutRecords implements commitverify.BatchStore: new records in
// transactions of up to 100 puts, each on condition that no record of its
// object exists. A chunk whose transaction fails (one record existed, or
// an object repeats) falls back to PutRecord one by one, so the first
// record always wins.
func (s Store) PutRecords(ctx context.Context, recs []commitverify.Record) ([]commitverify.Record, []bool, error) {
	stored := make([]commitverify.Record, len(recs))
	created := make([]bool, len(recs))
	// The chunks are written at once: each is its own transaction, and an
	// object in two chunks is decided by the conditions (the loser falls
	// back to PutRecord, which returns the winner's record).
	var wg sync.WaitGroup
	errs := make([]error, (len(recs)+99)/100)
	for start := 0; start < len(recs); start += 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[start/100] = s.putChunk(ctx, recs[start:min(start+100, len(recs))], stored[start:], created[start:])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return stored, created, nil
}

// putChunk writes up to 100 records in one transaction, or one by one
// when it fails on a condition, into stored and created.
func (s Store) putChunk(ctx context.Context, chunk []commitverify.Record, stored []commitverify.Record, created []bool) error {
	items := make([]types.TransactWriteItem, 0, len(chunk))
	seen := map[string]bool{}
	dup := false
	for _, rec := range chunk {
		if seen[rec.ObjectID] {
			dup = true
		}
		seen[rec.ObjectID] = true
		it, err := s.item(rec)
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Name), Item: ddb.Marshal(it),
			ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	if !dup {
		err := s.Transact(ctx, items)
		if err == nil {
			for i, rec := range chunk {
				stored[i], created[i] = rec, true
			}
			return nil
		}
		if !ddb.ConditionFailed(err) {
			return fmt.Errorf("put records: %w", err)
		}
	}
	for i, rec := range chunk {
		got, ok, err := s.PutRecord(ctx, rec)
		if err != nil {
			return err
		}
		stored[i], created[i] = got, ok
	}
	return nil
}

func (s Store) item(rec commitverify.Record) (commitRecordItem, error) {
	js, err := json.Marshal(rec.Result)
	if err != nil {
		return commitRecordItem{}, fmt.Errorf("encode record: %w", err)
	}
	return commitRecordItem{PK: sigRecPK(rec.RepoID), SK: objSK(rec.ObjectID), RepoID: rec.RepoID, Repo: rec.Repo,
		ObjectID: rec.ObjectID, Kind: string(rec.Kind), Status: string(rec.Status), Reason: string(rec.Reason),
		VerifiedAt: rec.VerifiedAt, SubmittedBy: rec.SubmittedBy, Result: string(js), Parents: rec.Parents, Message: rec.Message}, nil
}
