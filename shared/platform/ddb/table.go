// Package ddb holds what every store shares on the one DynamoDB table: the
// table's definition (Shape), a handle with get/query/transaction helpers,
// condition errors, and the items several domains read (name and email claims,
// audit events). It imports no domain package; each domain keeps its own
// items in shared/<domain>/<domain>ddb.
//
// Shape defines the one DynamoDB table every function shares. The
// definition here is the source of truth: the local stack creates the table
// from it, and tests fail if template.yaml or localstack/ drift from it.
// docs/data-model.md lists the access patterns.
package ddb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the keys and of the TTL.
const (
	PK      = "pk"
	SK      = "sk"
	GSI1    = "gsi1"
	GSI1PK  = "gsi1pk"
	GSI1SK  = "gsi1sk"
	TTLAttr = "ttl"
)

// Index describes a global secondary index. Include lists the non-key
// attributes it projects (INCLUDE); empty projects ALL.
type Index struct {
	Name, HashKey, RangeKey string
	Include                 []string
}

// ProjectionType is the index's projection: INCLUDE or ALL.
func (ix Index) ProjectionType() types.ProjectionType {
	if len(ix.Include) > 0 {
		return types.ProjectionTypeInclude
	}
	return types.ProjectionTypeAll
}

// Definition is the table's shape, independent of its name.
type Definition struct {
	HashKey, RangeKey string
	Indexes           []Index
	TTLAttribute      string
}

// Shape is the table every function uses.
var Shape = Definition{
	HashKey:      PK,
	RangeKey:     SK,
	Indexes:      []Index{{Name: GSI1, HashKey: GSI1PK, RangeKey: GSI1SK, Include: GSI1Include}},
	TTLAttribute: TTLAttr,
}

// GSI1Include is what gsi1 projects besides the keys: exactly the
// attributes its readers decode, each store's KeySpace.IndexReads
// (infra/keys_test.go holds this list to their union, and each store's
// test holds its readers to its list). A scan result's imports, findings
// and signatures, a repository's other attributes, stay off the index.
var GSI1Include = []string{
	// identity: expiring tokens (the sweeper) and a user's emails
	"tokenId", "username", "name", "role", "hash", "hint", "createdAt", "lastUsedAt", "expiresAt", "grant", "expiryWarnedAt",
	"address", "userId", "verified", "primary", "addedAt", TTLAttr,
	// org: a user's memberships
	"org", "orgId",
	// repo: a namespace's repositories
	"id", "type", "namespace", "owner", "ownerId", "private", "requireSignedCommits", "allowSecretsInPushes",
	"allowServiceSignedCommits", "requireSignedModels", "sdk", "createdBy", "lastModified",
	// scan: the due list (the sweeper)
	"bucket", "key", "version", "etag", "size", "status", "reason", "run", "deadline", "attempts",
}

// AttributeNames returns every key attribute, sorted as declared.
func (d Definition) AttributeNames() []string {
	names := []string{d.HashKey, d.RangeKey}
	for _, ix := range d.Indexes {
		names = append(names, ix.HashKey, ix.RangeKey)
	}
	return names
}

// CreateInput returns the CreateTable request for a table named name
// (on-demand billing, string keys).
func (d Definition) CreateInput(name string) *dynamodb.CreateTableInput {
	var attrs []types.AttributeDefinition
	for _, a := range d.AttributeNames() {
		attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(a), AttributeType: types.ScalarAttributeTypeS})
	}
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(d.HashKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(d.RangeKey), KeyType: types.KeyTypeRange},
		},
	}
	for _, ix := range d.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.HashKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.RangeKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: ix.ProjectionType(), NonKeyAttributes: ix.Include},
		})
	}
	return in
}

// Ensure creates the table if it does not exist, waits until it is active
// and turns on TTL. It is for local stacks and tests; on AWS the
// CloudFormation stack owns the table.
func (d Definition) Ensure(ctx context.Context, db *dynamodb.Client, name string) error {
	_, err := db.CreateTable(ctx, d.CreateInput(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(db)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(d.TTLAttribute), Enabled: aws.Bool(true),
		},
	})
	if err != nil && !isTTLAlreadyOn(err) {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}

func isTTLAlreadyOn(err error) bool {
	var v interface{ ErrorMessage() string }
	return errors.As(err, &v) && strings.Contains(strings.ToLower(v.ErrorMessage()), "already enabled")
}
