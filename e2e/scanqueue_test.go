package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	if n := m.MessageAttributes[sqsqueue.RequeuesAttribute]; n.StringValue != nil {
		t.Fatalf("a first dead letter carries requeues=%s", aws.ToString(n.StringValue))
	}
	advance() // findDead's receive hid it for the dead-letter queue's visibility timeout
	var sum struct {
		DeadLetters scan.DeadLetterSummary `json:"deadLetters"`
	}
	if st := s.call(t, "POST", s.internal+"/2015-03-31/functions/SweeperFunction/invocations", "", map[string]string{"source": "e2e"}, &sum); st != 200 {
		t.Fatalf("invoke sweeper: %d", st)
	}
	if sum.DeadLetters.Requeued < 1 {
		t.Fatalf("sweeper requeued %+v, want the poison message", sum.DeadLetters)
	}
	if _, ok := findDead(); ok {
		t.Fatal("after the sweep the message is still in the dead-letter queue")
	}
	// Back in the scan queue it fails again and is dead-lettered again,
	// now counted as requeued once.
	m = waitDead("after requeue")
	if n := aws.ToString(m.MessageAttributes[sqsqueue.RequeuesAttribute].StringValue); n != "1" {
		t.Errorf("requeued dead letter carries requeues=%q, want 1", n)
	}
	body, _ := json.Marshal(m.Attributes)
	t.Logf("dead letter after one requeue: %s", body)
	// Leave nothing for other tests' sweeps.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
}
