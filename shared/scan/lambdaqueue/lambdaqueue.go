// Package lambdaqueue queues scans by invoking the scanner function
// asynchronously (InvocationType Event) with a synthesized S3 event, the
// same payload an upload would produce. The client honours
// AWS_ENDPOINT_URL_LAMBDA (the SDK reads it), so the local stack's invoke
// endpoint receives it.
package lambdaqueue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/hubsec/trustlayer/shared/scan"
)

// New returns a queue on the scanner function named fn. The Lambda client
// lives here, not in awsconfig, so that functions that never queue scans do
// not link (and initialise) the Lambda SDK.
func New(cfg aws.Config, fn string) Queue {
	return Queue{Client: lambda.NewFromConfig(cfg), Function: fn}
}

// Queue implements scan.Queue.
type Queue struct {
	Client   *lambda.Client
	Function string // name or ARN of the scanner function
}

var _ scan.Queue = Queue{}

// batch keeps each event well under Lambda's 256 KB async payload limit.
const batch = 50

// Enqueue implements scan.Queue.
func (q Queue) Enqueue(ctx context.Context, refs []scan.ObjectRef) error {
	for len(refs) > 0 {
		n := min(batch, len(refs))
		_, err := q.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(q.Function),
			InvocationType: types.InvocationTypeEvent, Payload: scan.EncodeEvent(refs[:n])})
		if err != nil {
			return fmt.Errorf("invoke %s: %w", q.Function, err)
		}
		refs = refs[n:]
	}
	return nil
}
