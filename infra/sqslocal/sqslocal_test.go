package sqslocal_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hubsec/trustlayer/infra/sqslocal"
)

// newQueues serves a main queue (visibility 60 s, 3 receives) and its
// dead-letter queue, and returns aws-sdk-go-v2's own SQS client on them.
func newQueues(t *testing.T) (*sqslocal.Server, *sqs.Client) {
	t.Helper()
	srv := sqslocal.New("http://placeholder", "us-east-1", []sqslocal.QueueConfig{
		{Name: "main", VisibilityTimeout: time.Minute, DeadLetter: "dlq", MaxReceiveCount: 3},
		{Name: "dlq"},
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.BaseURL = hs.URL
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	return srv, c
}

func receive(t *testing.T, c *sqs.Client, url string, wait int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
		MaxNumberOfMessages: 10, WaitTimeSeconds: wait, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

// TestVisibilityAndRedrive: a received message is hidden for the
// visibility timeout, shows again unless deleted, and after the third
// receive the next receive moves it to the dead-letter queue with its body
// and attributes.
func TestVisibilityAndRedrive(t *testing.T) {
	srv, c := newQueues(t)
	ctx := context.Background()
	main, dlq := srv.URL("main"), srv.URL("dlq")
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(main), MessageBody: aws.String(`{"Records":[]}`),
		MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("2")}}}); err != nil {
		t.Fatalf("send: %v", err) // the SDK checks MD5OfMessageBody
	}
	for i := 1; i <= 3; i++ {
		msgs := receive(t, c, main, 0)
		if len(msgs) != 1 || msgs[0].Attributes["ApproximateReceiveCount"] != string(rune('0'+i)) {
			t.Fatalf("receive %d: got %+v", i, msgs)
		}
		if again := receive(t, c, main, 0); len(again) != 0 {
			t.Fatalf("receive %d: a hidden message was received again", i)
		}
		srv.Advance(61 * time.Second)
	}
	if msgs := receive(t, c, main, 0); len(msgs) != 0 {
		t.Fatalf("past maxReceiveCount the message was delivered again: %+v", msgs)
	}
	msgs := receive(t, c, dlq, 0)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != `{"Records":[]}` || aws.ToString(msgs[0].MessageAttributes["n"].StringValue) != "2" {
		t.Fatalf("dead-letter queue: %+v", msgs)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlq), ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	srv.Advance(time.Hour)
	if msgs := receive(t, c, dlq, 0); len(msgs) != 0 {
		t.Fatalf("a deleted message came back: %+v", msgs)
	}
}

// TestSourceDeletesOnlySucceeded: the event source mapping deletes the
// messages the function did not list in batchItemFailures; the listed one
// shows again after the visibility timeout.
func TestSourceDeletesOnlySucceeded(t *testing.T) {
	srv, c := newQueues(t)
	ctx := context.Background()
	entries := []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("ok")}, {Id: aws.String("b"), MessageBody: aws.String("fail")}}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(srv.URL("main")), Entries: entries}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	stop := make(chan struct{})
	defer close(stop)
	srv.Run(stop, sqslocal.Source{Queue: "main", BatchSize: 10, Workers: 1, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Invoke: func(_ context.Context, p []byte) ([]byte, error) {
			var ev struct {
				Records []struct {
					MessageID   string `json:"messageId"`
					Body        string `json:"body"`
					EventSource string `json:"eventSource"`
				}
			}
			if err := json.Unmarshal(p, &ev); err != nil {
				t.Error(err)
			}
			var failures []map[string]string
			mu.Lock()
			defer mu.Unlock()
			for _, r := range ev.Records {
				seen[r.Body]++
				if r.EventSource != "aws:sqs" {
					t.Errorf("eventSource %q", r.EventSource)
				}
				if r.Body == "fail" {
					failures = append(failures, map[string]string{"itemIdentifier": r.MessageID})
				}
			}
			return json.Marshal(map[string]any{"batchItemFailures": failures})
		}})
	waitFor := func(cond func() bool) {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out; seen %v", seen)
	}
	waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return seen["ok"] == 1 && seen["fail"] == 1 })
	if v, inFlight, _ := srv.Counts("main"); v != 0 || inFlight != 1 {
		t.Fatalf("after one delivery: %d visible, %d in flight; want the failed one in flight only", v, inFlight)
	}
	srv.Advance(61 * time.Second)
	waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return seen["fail"] == 2 })
	mu.Lock()
	defer mu.Unlock()
	if seen["ok"] != 1 {
		t.Errorf("the succeeded message was delivered %d times", seen["ok"])
	}
}
