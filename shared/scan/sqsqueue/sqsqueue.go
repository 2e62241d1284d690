// Package sqsqueue queues scans on the scan queue (SQS), the queue the
// uploads bucket's ObjectCreated notifications go to and the scanner
// function reads, and sends the dead-lettered ones back. Each message
// is an S3 event notification naming one object, the same body S3 itself
// sends. The client honours AWS_ENDPOINT_URL_SQS (the local stack's queue).
package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hubsec/trustlayer/shared/scan"
)

// RequeuesAttribute counts, on a message, how often a sweeper sent it back
// from the dead-letter queue.
const RequeuesAttribute = "trustlayer-requeues"

// New returns the client the queues use.
func New(cfg aws.Config) *sqs.Client { return sqs.NewFromConfig(cfg) }

// Queue implements scan.Queue on the scan queue.
type Queue struct {
	Client *sqs.Client
	URL    string
}

var _ scan.Queue = Queue{}

// Enqueue implements scan.Queue: one message per object (each retried,
// dead-lettered and requeued on its own), ten per SendMessageBatch.
func (q Queue) Enqueue(ctx context.Context, refs []scan.ObjectRef) error {
	for len(refs) > 0 {
		n := min(10, len(refs))
		entries := make([]types.SendMessageBatchRequestEntry, n)
		for i, r := range refs[:n] {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
				MessageBody: aws.String(string(scan.EncodeEvent([]scan.ObjectRef{r})))}
		}
		out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil {
			return fmt.Errorf("send to the scan queue: %w", err)
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			return fmt.Errorf("send to the scan queue: %d of %d failed: %s %s", len(out.Failed), n, aws.ToString(f.Code), aws.ToString(f.Message))
		}
		refs = refs[n:]
	}
	return nil
}

// DeadLetters implements scan.DeadLetters: the scan queue's dead-letter
// queue (DLQ) and the queue its messages go back to (Target).
type DeadLetters struct {
	Client *sqs.Client
	DLQ    string
	Target string
	// Hide is how long a received dead letter stays out of sight (a kept
	// one shows again on a later run); 600 s when 0.
	Hide int32
}

var _ scan.DeadLetters = DeadLetters{}

// Receive implements scan.DeadLetters.
func (d DeadLetters) Receive(ctx context.Context, max int) ([]scan.DeadLetter, error) {
	hide := d.Hide
	if hide == 0 {
		hide = 600
	}
	out, err := d.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(d.DLQ),
		MaxNumberOfMessages: int32(min(max, 10)), VisibilityTimeout: hide, WaitTimeSeconds: 0,
		MessageAttributeNames: []string{RequeuesAttribute}})
	if err != nil {
		return nil, err
	}
	msgs := make([]scan.DeadLetter, 0, len(out.Messages))
	for _, m := range out.Messages {
		dl := scan.DeadLetter{ID: aws.ToString(m.MessageId), Handle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)}
		if a, ok := m.MessageAttributes[RequeuesAttribute]; ok {
			dl.Requeues, _ = strconv.Atoi(aws.ToString(a.StringValue))
		}
		msgs = append(msgs, dl)
	}
	return msgs, nil
}

// Requeue implements scan.DeadLetters: send first, then delete (a crash
// between the two sends it twice, which the scanner's claim absorbs).
func (d DeadLetters) Requeue(ctx context.Context, m scan.DeadLetter) error {
	if d.Target == "" || d.DLQ == "" {
		return errors.New("dead-letter requeue: queue URLs not configured")
	}
	_, err := d.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.Target), MessageBody: aws.String(m.Body),
		MessageAttributes: map[string]types.MessageAttributeValue{RequeuesAttribute: {DataType: aws.String("Number"),
			StringValue: aws.String(strconv.Itoa(m.Requeues + 1))}}})
	if err != nil {
		return err
	}
	_, err = d.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(d.DLQ), ReceiptHandle: aws.String(m.Handle)})
	return err
}
