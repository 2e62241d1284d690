package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ReasonClamdUnreachable is the error reason of a scan that could not reach
// clamd at all: an outage of the engine, not a property of the file.
const ReasonClamdUnreachable = "ClamAV (clamd) is unreachable"

// Outage says whether an error reason is an outage of a scanning engine
// (clamd unreachable) rather than something about the file. A file is never
// given up on for an outage: however long clamd is away, its scans are
// retried until it answers (each retry is one fast failing invocation per
// sweep while it is away).
func Outage(reason string) bool { return reason == ReasonClamdUnreachable }

// Retries says whether an error result is retried by the sweeper: an
// outage always, anything else until Settings.MaxAttempts. It is the one
// rule the scanner (which marks the result due) and the sweeper (which
// requeues or gives up) both apply.
func Retries(r Result, set Settings) bool {
	return r.Status == StatusError && (Outage(r.Reason) || r.Attempts < set.MaxAttempts)
}

// QueueMessage is one record of the event Lambda's SQS event source sends
// (the fields the scanner reads; the JSON is aws-lambda-go's SQSMessage).
type QueueMessage struct {
	MessageID     string            `json:"messageId"`
	ReceiptHandle string            `json:"receiptHandle"`
	Body          string            `json:"body"`
	Attributes    map[string]string `json:"attributes"`
	EventSource   string            `json:"eventSource"`
}

// DecodeQueueEvent returns the messages of an SQS event, ok false when raw
// is not one (a bare S3 event, a direct invoke): every record must come
// from aws:sqs.
func DecodeQueueEvent(raw []byte) (msgs []QueueMessage, ok bool) {
	var ev struct {
		Records []QueueMessage `json:"Records"`
	}
	if json.Unmarshal(raw, &ev) != nil || len(ev.Records) == 0 {
		return nil, false
	}
	for _, r := range ev.Records {
		if r.EventSource != "aws:sqs" || r.MessageID == "" {
			return nil, false
		}
	}
	return ev.Records, true
}

// BatchResponse is the answer to an SQS event with ReportBatchItemFailures:
// the messages listed stay in the queue (visible again after the visibility
// timeout, dead-lettered after the redrive policy's receive count); the
// others are deleted.
type BatchResponse struct {
	BatchItemFailures []BatchItemFailure `json:"batchItemFailures"`
}

// BatchItemFailure names one failed message.
type BatchItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// DeadLetter is a scan message the queue gave up on (its receive count
// reached the redrive policy's maxReceiveCount).
type DeadLetter struct {
	ID       string
	Handle   string // receipt handle of this receive
	Body     string
	Requeues int // how many times a sweeper already sent it back
}

// DeadLetters is the scan queue's dead-letter queue (scan/sqsqueue).
type DeadLetters interface {
	// Receive takes up to max messages out of sight for a while.
	Receive(ctx context.Context, max int) ([]DeadLetter, error)
	// Requeue sends d's body to the scan queue with Requeues+1 and then
	// deletes d from the dead-letter queue.
	Requeue(ctx context.Context, d DeadLetter) error
}

// MaxDeadLetterRequeues bounds how often the sweeper sends one message back
// from the dead-letter queue: a message that keeps failing (a poison
// message, not an outage: outages end up as error results, not failed
// messages) stays there for the operator, with the queue's retention.
const MaxDeadLetterRequeues = 3

// DeadLetterSummary counts what RequeueDeadLetters did.
type DeadLetterSummary struct {
	Requeued int `json:"requeued"`
	Kept     int `json:"kept"`
}

// RequeueDeadLetters sends the dead-lettered scan messages back to the scan
// queue, each at most MaxDeadLetterRequeues times, until the dead-letter
// queue shows no more or until is reached.
func (w *Sweeper) RequeueDeadLetters(ctx context.Context, dl DeadLetters, until time.Time) (DeadLetterSummary, error) {
	var sum DeadLetterSummary
	for until.IsZero() || time.Now().Before(until) {
		msgs, err := dl.Receive(ctx, 10)
		if err != nil {
			return sum, fmt.Errorf("receive dead letters: %w", err)
		}
		if len(msgs) == 0 {
			return sum, nil
		}
		for _, m := range msgs {
			if m.Requeues >= MaxDeadLetterRequeues {
				sum.Kept++
				w.Log.ErrorContext(ctx, "scan message left in the dead-letter queue", "message", m.ID, "requeues", m.Requeues)
				continue
			}
			if err := dl.Requeue(ctx, m); err != nil {
				return sum, fmt.Errorf("requeue dead letter %s: %w", m.ID, err)
			}
			sum.Requeued++
		}
	}
	return sum, nil
}
