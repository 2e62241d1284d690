// Package ddbtest gives tests an isolated table on DynamoDB Local.
package ddbtest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/ddb"
	"github.com/hubsec/trustlayer/shared/platform/randid"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// NewTable is NewUncheckedTable with a KeyChecker around its client.
func NewTable(t testing.TB) ddb.Table {
	t.Helper()
	return Check(t, NewUncheckedTable(t))
}

// NewUncheckedTable creates a fresh, uniquely named table on DynamoDB Local
// (AWS_ENDPOINT_URL_DYNAMODB) so each test runs isolated.
func NewUncheckedTable(t testing.TB) ddb.Table {
	t.Helper()
	testenv.RequireEnv(t, "AWS_ENDPOINT_URL_DYNAMODB")
	ctx := context.Background()
	cfg, err := awsconfig.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := awsconfig.DynamoDB(cfg)
	name := "test-" + randid.Hex(6)
	if err := ddb.Shape.Ensure(ctx, db, name); err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return ddb.Table{DB: db, Name: name}
}
