package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/hubsec/trustlayer/shared/platform/awsconfig"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"github.com/hubsec/trustlayer/shared/scan"
	"github.com/hubsec/trustlayer/shared/scan/sqsqueue"
)

// TestScanMessageDeadLetteredThenRequeued: a scan message the scanner
// fails (here one naming no bucket) stays in the scan queue, is received
// again after each visibility timeout, moves to the dead-letter queue after
// ScanMaxReceiveCount receives, and the sweeper sends it back to the scan
// queue, counting the requeue on the message. The queues are the local
// stack's SQS (infra/sqslocal) read by the scanner's event source as
// template.yaml declares it; the test advances the queues' clock instead of
// waiting out the 90-minute visibility timeout.
func TestScanMessageDeadLetteredThenRequeued(t *testing.T) {
	s := needStack(t)
	mainURL := testenv.RequireEnv(t, "TRUSTLAYER_SCAN_QUEUE_URL")
	dlqURL := testenv.RequireEnv(t, "TRUSTLAYER_SCAN_DLQ_URL")
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := sqsqueue.New(cfg)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	poison := fmt.Sprintf(`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":""},"object":{"key":"poison-%s","size":1}}}]}`, hex.EncodeToString(b[:]))
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(mainURL), MessageBody: aws.String(poison)}); err != nil {
		t.Fatal(err)
	}
	advance := func() {
		if st := s.call(t, "POST", s.internal+"/_devstack/sqs/advance?seconds=5401", "", nil, nil); st != 200 {
			t.Fatalf("advance the queues' clock: %d", st)
		}
	}
	// findDead receives from the dead-letter queue and returns the poison
	// message if it is there.
	findDead := func() (types.Message, bool) {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if aws.ToString(m.Body) == poison {
				return m, true
			}
		}
		return types.Message{}, false
	}
	waitDead := func(stage string) types.Message {
		// ScanMaxReceiveCount (5) failed receives, then the move: each
		// round waits for the scanner to fail it, then ends its timeout.
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
			if m, ok := findDead(); ok {
				return m
			}
			time.Sleep(300 * time.Millisecond)
			advance()
		}
		t.Fatalf("%s: the failing message never reached the dead-letter queue", stage)
		return types.Message{}
	}
	m := waitDead("first")
	// A first dead letter carries no count, unless the stack's scheduled
	// sweep (every 5 minutes) requeued it while it was waited for; each
	// requeue by a sweep adds one.
	requeues := func(m types.Message) int {
		v := m.MessageAttributes[sqsqueue.RequeuesAttribute].StringValue
		if v == nil {
			return 0
		}
		n, err := strconv.Atoi(aws.ToString(v))
		if err != nil || n < 1 {
			t.Fatalf("a dead letter carries requeues=%q", aws.ToString(v))
		}
		return n
	}
	first := requeues(m)
	if first != 0 {
		t.Logf("the first dead letter was requeued %d time(s) by the scheduled sweep meanwhile", first)
	}
	advance() // findDead's receive hid it for the dead-letter queue's visibility timeout
	var sum struct {
		DeadLetters scan.DeadLetterSummary `json:"deadLetters"`
	}
	if st := s.call(t, "POST", s.internal+"/2015-03-31/functions/SweeperFunction/invocations", "", map[string]string{"source": "e2e"}, &sum); st != 200 {
		t.Fatalf("invoke sweeper: %d", st)
	}
	if sum.DeadLetters.Requeued < 1 {
		// The stack's own scheduled sweep (every 5 minutes) may have
		// requeued it between advance() and this call: then it is no
		// longer dead-lettered, and it comes back below counted as
		// requeued once, which only a sweep sets.
		t.Logf("this sweep requeued nothing (%+v): the scheduled sweep may have taken it first", sum.DeadLetters)
	}
	if _, ok := findDead(); ok {
		t.Fatal("after the sweep the message is still in the dead-letter queue")
	}
	// Back in the scan queue it fails again and is dead-lettered again,
	// now counted as requeued once.
	m = waitDead("after requeue")
	if n := requeues(m); n != first+1 {
		t.Errorf("requeued dead letter carries requeues=%d, want %d", n, first+1)
	}
	body, _ := json.Marshal(m.Attributes)
	t.Logf("dead letter after one requeue: %s", body)
	// Leave nothing for other tests' sweeps.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
}
