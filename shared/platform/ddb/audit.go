package ddb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/hubsec/trustlayer/shared/platform/audit"
	"github.com/hubsec/trustlayer/shared/platform/randid"
)

// Audit events: pk AUDIT#<subject>, sk <time>#<random>, expiring after
// audit.Retention. Every domain writes them; the owner reads them back.
type auditItem struct {
	PK       string            `dynamodbav:"pk"`
	SK       string            `dynamodbav:"sk"`
	Type     string            `dynamodbav:"type"`
	At       time.Time         `dynamodbav:"at"`
	Actor    string            `dynamodbav:"actor,omitempty"`
	SourceIP string            `dynamodbav:"sourceIp,omitempty"`
	Details  map[string]string `dynamodbav:"details,omitempty"`
	TTL      int64             `dynamodbav:"ttl"`
}

func auditPK(subject string) string { return "AUDIT#" + subject }

var _ audit.Log = Table{}

// AppendAudit stores an event under its subject, expiring after the
// retention period.
func (t Table) AppendAudit(ctx context.Context, ev audit.Event) error {
	_, err := t.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.Name), Item: auditRecord(ev)})
	return err
}

// AuditPut is an audit event as one item of a transaction.
func (t Table) AuditPut(ev audit.Event) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(t.Name), Item: auditRecord(ev)}}
}

func auditRecord(ev audit.Event) map[string]types.AttributeValue {
	return Marshal(auditItem{PK: auditPK(ev.Subject), SK: ev.At.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + randid.Hex(4),
		Type: ev.Type, At: ev.At, Actor: ev.Actor, SourceIP: ev.SourceIP, Details: ev.Details,
		TTL: ev.At.Add(audit.Retention).Unix()})
}

// Audit pages through a subject's events, newest first.
func (t Table) Audit(ctx context.Context, subject string, limit int, cursor string) ([]audit.Event, string, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(t.Name),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: auditPK(subject)},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var sk string
		if err != nil || json.Unmarshal(raw, &sk) != nil || len(sk) > 100 {
			return nil, "", audit.ErrBadCursor
		}
		in.ExclusiveStartKey = Key(auditPK(subject), sk)
	}
	res, err := t.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query audit: %w", err)
	}
	out := make([]audit.Event, 0, len(res.Items))
	for _, m := range res.Items {
		var it auditItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return nil, "", err
		}
		out = append(out, audit.Event{Subject: subject, At: it.At, Type: it.Type, Actor: it.Actor, SourceIP: it.SourceIP, Details: it.Details})
	}
	next := ""
	if res.LastEvaluatedKey != nil {
		var sk string
		_ = attributevalue.Unmarshal(res.LastEvaluatedKey["sk"], &sk)
		b, _ := json.Marshal(sk)
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, next, nil
}
