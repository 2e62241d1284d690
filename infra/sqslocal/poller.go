package sqslocal

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Source is a Lambda event source mapping on a queue: Workers pollers each
// receive up to BatchSize messages, invoke the function with Lambda's SQS
// event, and delete the messages that did not fail (ReportBatchItemFailures:
// the ones the response lists stay; a function error keeps them all). A
// message that stays shows again after the visibility timeout.
type Source struct {
	Queue     string
	BatchSize int
	Workers   int
	Invoke    func(ctx context.Context, payload []byte) ([]byte, error)
	Log       *slog.Logger
}

// sqsRecord is one record of Lambda's SQS event (aws-lambda-go's
// events.SQSMessage).
type sqsRecord struct {
	MessageID         string                      `json:"messageId"`
	ReceiptHandle     string                      `json:"receiptHandle"`
	Body              string                      `json:"body"`
	Attributes        map[string]string           `json:"attributes"`
	MessageAttributes map[string]MessageAttribute `json:"messageAttributes"`
	MD5OfBody         string                      `json:"md5OfBody"`
	EventSource       string                      `json:"eventSource"`
	EventSourceARN    string                      `json:"eventSourceARN"`
	AWSRegion         string                      `json:"awsRegion"`
}

// Run polls until stop closes.
func (s *Server) Run(stop <-chan struct{}, src Source) {
	if src.BatchSize <= 0 {
		src.BatchSize = 10
	}
	for range max(src.Workers, 1) {
		go s.poll(stop, src)
	}
}

func (s *Server) poll(stop <-chan struct{}, src Source) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		msgs, err := s.Receive(src.Queue, min(src.BatchSize, 10), 0, time.Second)
		if err != nil {
			src.Log.Error("sqs poll", "queue", src.Queue, "err", err)
			time.Sleep(time.Second)
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		s.deliver(src, msgs)
	}
}

func (s *Server) deliver(src Source, msgs []Message) {
	recs := make([]sqsRecord, len(msgs))
	for i, m := range msgs {
		recs[i] = sqsRecord{MessageID: m.ID, ReceiptHandle: m.ReceiptHandle, Body: m.Body, Attributes: SystemAttributes(m),
			MessageAttributes: m.Attributes, MD5OfBody: md5Hex(m.Body), EventSource: "aws:sqs",
			EventSourceARN: s.ARN(src.Queue), AWSRegion: s.region}
		if recs[i].MessageAttributes == nil {
			recs[i].MessageAttributes = map[string]MessageAttribute{}
		}
	}
	payload, _ := json.Marshal(map[string]any{"Records": recs})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	out, err := src.Invoke(ctx, payload)
	cancel()
	if err != nil {
		src.Log.Warn("sqs batch failed; its messages stay in the queue", "queue", src.Queue, "messages", len(msgs), "err", err)
		return
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	failed := map[string]bool{}
	if json.Unmarshal(out, &resp) == nil {
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
	}
	for _, m := range msgs {
		if failed[m.ID] {
			continue
		}
		if err := s.Delete(src.Queue, m.ReceiptHandle); err != nil {
			src.Log.Error("sqs delete", "queue", src.Queue, "err", err)
		}
	}
	if len(failed) > 0 {
		src.Log.Info("sqs batch: messages failed and stay in the queue", "queue", src.Queue, "failed", len(failed), "of", len(msgs))
	}
}
