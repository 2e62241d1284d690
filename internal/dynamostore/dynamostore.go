// Package dynamostore implements the domain packages' Store ports on the one
// DynamoDB table (see internal/table and docs/data-model.md). It is the only
// package that knows item layouts.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
}

var _ DB = (*dynamodb.Client)(nil)

// Table is a handle on the table.
type Table struct {
	DB   DB
	Name string
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// errNoItem is returned by get when the item does not exist; callers map it
// to their domain's not-found error.
var errNoItem = errors.New("no such item")

// get reads one item, strongly consistent, into out.
func (t Table) get(ctx context.Context, pk, sk string, out any) error {
	res, err := t.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Name), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", pk, sk, err)
	}
	if res.Item == nil {
		return errNoItem
	}
	return attributevalue.UnmarshalMap(res.Item, out)
}

func marshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		// Only our own item structs are marshalled; a failure is a bug.
		panic(fmt.Sprintf("marshal item: %v", err))
	}
	return m
}

// put writes an item on condition that no item with its key exists.
func (t Table) putNew(item any) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(t.Name), Item: marshal(item),
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}
}

// queryAll runs a query and returns every page's items, up to max items.
func (t Table) query(ctx context.Context, in *dynamodb.QueryInput, max int) ([]map[string]types.AttributeValue, error) {
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

// conditionFailed reports whether err is a failed condition, alone or as
// the cancellation reason of a transaction; reasons, when not nil, receives
// the per-item codes.
func conditionFailed(err error) bool {
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

// failedIndexes returns the indexes of transaction items whose condition failed.
func failedIndexes(err error) []int {
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

func lower(s string) string { return strings.ToLower(s) }

// decodeAll unmarshals query items of layout I and converts each to its
// domain value.
func decodeAll[I, D any](items []map[string]types.AttributeValue, conv func(I) D) ([]D, error) {
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
