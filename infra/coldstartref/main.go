// Command coldstartref is the reference of `make bench-coldstart`: an
// aws-lambda-go function that does nothing, measured beside ours in the same
// run, so the table shows what this machine costs any Go function's start.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "ok", nil })
}
