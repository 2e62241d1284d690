package ddb

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
	"github.com/hubsec/trustlayer/shared/platform/store"
)

// DB is the subset of the DynamoDB client the stores use.
type DB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Table is a handle on the table.
type Table struct {
	DB   DB
	Name string
}

func Key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// ErrNoItem is returned by get when the item does not exist; callers map it
// to their domain's not-found error.
var ErrNoItem = errors.New("no such item")

// Get reads one item, strongly consistent, into out.
func (t Table) Get(ctx context.Context, pk, sk string, out any) error {
	res, err := t.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Name), Key: Key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", pk, sk, err)
	}
	if res.Item == nil {
		return ErrNoItem
	}
	return attributevalue.UnmarshalMap(res.Item, out)
}

func Marshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		// Only our own item structs are marshalled; a failure is a bug.
		panic(fmt.Sprintf("marshal item: %v", err))
	}
	return m
}

// PutNew writes an item on condition that no item with its key exists.
func (t Table) PutNew(item any) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(t.Name), Item: Marshal(item),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}
}

// Query runs a query and returns every page's items, up to max items.
func (t Table) Query(ctx context.Context, in *dynamodb.QueryInput, max int) ([]map[string]types.AttributeValue, error) {
	in.TableName = aws.String(t.Name)
	var items []map[string]types.AttributeValue
	for {
		res, err := t.DB.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
		items = append(items, res.Items...)
		if res.LastEvaluatedKey == nil || len(items) >= max {
			return items, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// ConditionFailed reports whether err is a failed condition, alone or as
// the cancellation reason of a transaction; reasons, when not nil, receives
// the per-item codes.
func ConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return true
	}
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		for _, r := range tc.CancellationReasons {
			if r.Code != nil && (*r.Code == "ConditionalCheckFailed" || *r.Code == "TransactionConflict") {
				return true
			}
		}
	}
	return false
}

// FailedIndexes returns the indexes of transaction items whose condition failed.
func FailedIndexes(err error) []int {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return nil
	}
	var out []int
	for i, r := range tc.CancellationReasons {
		if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			out = append(out, i)
		}
	}
	return out
}

// Lower is the spelling under which names and addresses are keyed.
func Lower(s string) string { return strings.ToLower(s) }

// DecodeAll unmarshals query items of layout I and converts each to its
// domain value.
func DecodeAll[I, D any](items []map[string]types.AttributeValue, conv func(I) D) ([]D, error) {
	out := make([]D, 0, len(items))
	for _, m := range items {
		var it I
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, err
		}
		out = append(out, conv(it))
	}
	return out, nil
}

// Transact runs a write transaction, retrying a few times when it was
// cancelled only because it collided with another transaction (no condition
// failed): DynamoDB does not retry those itself.
func (t Table) Transact(ctx context.Context, items []types.TransactWriteItem) error {
	for try := 0; ; try++ {
		_, err := t.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil || try == 5 || !OnlyConflict(err) {
			return err
		}
		if err := Backoff(ctx, try+1); err != nil {
			return err
		}
	}
}

// OnlyConflict reports whether a transaction was cancelled for conflicts
// alone.
func OnlyConflict(err error) bool {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return false
	}
	conflict := false
	for _, r := range tc.CancellationReasons {
		if r.Code == nil {
			continue
		}
		switch *r.Code {
		case "TransactionConflict":
			conflict = true
		case "None", "":
		default:
			return false
		}
	}
	return conflict
}

// Backoff waits a little longer on each try, or until ctx ends.
func Backoff(ctx context.Context, try int) error {
	t := time.NewTimer(time.Duration(try*try) * 10 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// S is a string attribute value.
func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// N is a number attribute value.
func N(n int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }

// N64 is a number attribute value.
func N64(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// NotFound maps ErrNoItem to store.ErrNotFound and passes other errors on.
func NotFound(err error) error {
	if errors.Is(err, ErrNoItem) {
		return store.ErrNotFound
	}
	return err
}
