// Command coldstartddb is the second reference of `make bench-coldstart`:
// an aws-lambda-go function that, before its first invoke, loads the AWS
// configuration and builds a DynamoDB client, which every function of ours
// must do too. Measured beside ours in the same run, it separates what the
// SDK costs any such function from what our start-up adds.
package main

import (
	"context"
	"encoding/json"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	lambda.Start(func(context.Context, json.RawMessage) (string, error) {
		if db == nil {
			return "", nil
		}
		return "ok", nil
	})
}
