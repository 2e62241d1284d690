// Package modelsigddb stores model-signature records and each
// namespace's trusted model signers in the table.
package modelsigddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/modelsig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
)

// Store implements modelsig.Store.
type Store struct{ ddb.Table }

var _ modelsig.Store = Store{}

// recordItem is one commit's verification: pk MODELSIG#<repoId>, sk
// COMMIT#<commit>. Record is the JSON of modelsig.Record; status repeats
// the push verdict for people reading the table.
type recordItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Status string `dynamodbav:"status"`
	Record string `dynamodbav:"record"`
}

// signerItem is one trusted signer: pk MODELSIGNERS#<namespace lower>,
// sk SIGNER#<id>.
type signerItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Signer string `dynamodbav:"signer"`
}

func recPK(repoID string) string { return "MODELSIG#" + repoID }
func recSK(commit string) string { return "COMMIT#" + commit }
func signersPK(ns string) string { return "MODELSIGNERS#" + ddb.Lower(ns) }
func signerSK(id string) string  { return "SIGNER#" + id }

// PutRecord stores rec unless the commit has one (the first wins).
func (s Store) PutRecord(ctx context.Context, rec modelsig.Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name),
		Item:                ddb.Marshal(recordItem{PK: recPK(rec.RepoID), SK: recSK(rec.Commit), Status: rec.Status, Record: string(b)}),
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if err != nil && !ddb.ConditionFailed(err) {
		return fmt.Errorf("put model signature record: %w", err)
	}
	return nil
}

// Record reads a commit's record.
func (s Store) Record(ctx context.Context, repoID, commit string) (modelsig.Record, bool, error) {
	var it recordItem
	if err := s.Get(ctx, recPK(repoID), recSK(commit), &it); err != nil {
		if errors.Is(err, ddb.ErrNoItem) {
			return modelsig.Record{}, false, nil
		}
		return modelsig.Record{}, false, err
	}
	var rec modelsig.Record
	if err := json.Unmarshal([]byte(it.Record), &rec); err != nil {
		return modelsig.Record{}, false, fmt.Errorf("decode model signature record: %w", err)
	}
	rec.RepoID = repoID
	return rec, true, nil
}

// Signers lists a namespace's signers (strongly consistent, so a change
// shows on the next read).
func (s Store) Signers(ctx context.Context, ns string) ([]modelsig.Signer, error) {
	items, err := s.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(s.Name), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": ddb.S(signersPK(ns)), ":sk": ddb.S("SIGNER#")}}, modelsig.MaxSigners+1)
	if err != nil {
		return nil, fmt.Errorf("read model signers: %w", err)
	}
	return ddb.DecodeAll(items, func(it signerItem) modelsig.Signer {
		var sg modelsig.Signer
		_ = json.Unmarshal([]byte(it.Signer), &sg)
		sg.Namespace = ns
		if sg.ID == "" {
			sg.ID = strings.TrimPrefix(it.SK, "SIGNER#")
		}
		return sg
	})
}

// PutSigner adds a signer.
func (s Store) PutSigner(ctx context.Context, sg modelsig.Signer) error {
	b, err := json.Marshal(sg)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Name),
		Item: ddb.Marshal(signerItem{PK: signersPK(sg.Namespace), SK: signerSK(sg.ID), Signer: string(b)}), ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if err != nil {
		return fmt.Errorf("put model signer: %w", err)
	}
	return nil
}

// DeleteSigner removes a signer; false when there was none.
func (s Store) DeleteSigner(ctx context.Context, ns, id string) (bool, error) {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Name), Key: ddb.Key(signersPK(ns), signerSK(id)),
		ConditionExpression: aws.String("attribute_exists(pk)")})
	if ddb.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete model signer: %w", err)
	}
	return true, nil
}
