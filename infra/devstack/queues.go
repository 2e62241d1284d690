package devstack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/infra/gateway"
	"github.com/hubsec/trustlayer/infra/samtemplate"
	"github.com/hubsec/trustlayer/infra/sqslocal"
)

// TypeSQSQueue is a template queue.
const TypeSQSQueue = "AWS::SQS::Queue"

// SQSAdvancePath moves the local queues' clock (POST ?seconds=N), so a
// test sees a visibility timeout pass without waiting for it.
const SQSAdvancePath = "/_devstack/sqs/advance"

// maxLocalPollers caps each SQS event source's concurrent pollers on this
// machine (the template's MaximumConcurrency is sized for Lambda).
const maxLocalPollers = 4

// templateInt resolves a number that may be a literal or a !Ref to a
// parameter (its default).
func templateInt(t *samtemplate.Template, v any, def int) int {
	if v == nil {
		return def
	}
	if f, ok := v.(float64); ok {
		return int(f)
	}
	if n, ok := v.(int); ok {
		return n
	}
	n, err := strconv.Atoi(strings.TrimSpace(t.Sub(v, nil)))
	if err != nil {
		return def
	}
	return n
}

// queueConfigs reads the template's queues: visibility timeout and
// redrive policy.
func queueConfigs(t *samtemplate.Template) []sqslocal.QueueConfig {
	var out []sqslocal.QueueConfig
	for _, r := range t.OfType(TypeSQSQueue) {
		c := sqslocal.QueueConfig{Name: r.LogicalID,
			VisibilityTimeout: time.Duration(templateInt(t, r.Properties["VisibilityTimeout"], 30)) * time.Second}
		rp := samtemplate.Map(r.Properties["RedrivePolicy"])
		if len(rp) > 0 {
			c.DeadLetter = samtemplate.RefTarget(rp["deadLetterTargetArn"])
			c.MaxReceiveCount = templateInt(t, rp["maxReceiveCount"], 0)
		}
		out = append(out, c)
	}
	return out
}

// bucketQueueTargets lists, per bucket logical id, the queues its
// NotificationConfiguration sends ObjectCreated events to.
type bucketQueue struct {
	queue    string
	events   string
	prefixes []string
}

func bucketQueues(t *samtemplate.Template) []bucketQueue {
	var out []bucketQueue
	for _, r := range t.OfType(samtemplate.TypeS3Bucket) {
		qcs, _ := samtemplate.Map(r.Properties["NotificationConfiguration"])["QueueConfigurations"].([]any)
		for _, raw := range qcs {
			qc := samtemplate.Map(raw)
			bq := bucketQueue{queue: samtemplate.RefTarget(qc["Queue"]), events: samtemplate.String(qc["Event"])}
			rules, _ := samtemplate.Map(samtemplate.Map(qc["Filter"])["S3Key"])["Rules"].([]any)
			for _, rr := range rules {
				if m := samtemplate.Map(rr); strings.EqualFold(samtemplate.String(m["Name"]), "prefix") {
					bq.prefixes = append(bq.prefixes, samtemplate.String(m["Value"]))
				}
			}
			out = append(out, bq)
		}
	}
	return out
}

// s3Notify sends each record of the stack's bucket to the queues the
// template's bucket notifications name, one record a message as S3 sends.
func (s *Stack) s3Notify(t *samtemplate.Template) func([]json.RawMessage) {
	targets := bucketQueues(t)
	return func(records []json.RawMessage) {
		for _, raw := range records {
			var rec struct {
				EventName string `json:"eventName"`
				S3        struct {
					Bucket struct {
						Name string `json:"name"`
					} `json:"bucket"`
					Object struct {
						Key string `json:"key"`
					} `json:"object"`
				} `json:"s3"`
			}
			if json.Unmarshal(raw, &rec) != nil || rec.S3.Bucket.Name != s.opts.Bucket {
				continue // another bucket of the S3 server (a unit test's)
			}
			name := "s3:" + strings.TrimPrefix(rec.EventName, "s3:")
			key, err := url.QueryUnescape(rec.S3.Object.Key)
			if err != nil {
				key = rec.S3.Object.Key
			}
			for _, bq := range targets {
				if !matchEvent(bq.events, name) || !hasAnyPrefix(key, bq.prefixes) {
					continue
				}
				body, _ := json.Marshal(map[string]any{"Records": []json.RawMessage{raw}})
				if _, err := s.sqs.Send(bq.queue, string(body), nil); err != nil {
					s.log.Error("S3 notification to queue", "queue", bq.queue, "err", err)
				}
			}
		}
	}
}

func matchEvent(pattern, name string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(name, p)
	}
	return pattern == name
}

func hasAnyPrefix(key string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// startQueueSources runs each function's SQS events as Lambda's event
// source mapping does.
func (s *Stack) startQueueSources(t *samtemplate.Template, invokers map[string]gateway.Invoker) error {
	for _, f := range t.Functions() {
		for _, ev := range f.Events {
			if ev.Type != "SQS" {
				continue
			}
			q := samtemplate.RefTarget(ev.Properties["Queue"])
			inv, ok := invokers[f.LogicalID]
			if !ok {
				continue
			}
			found := false
			for _, name := range s.sqs.Queues() {
				found = found || name == q
			}
			if !found {
				return fmt.Errorf("%s event %s: queue %q is not an AWS::SQS::Queue of the template", f.LogicalID, ev.Name, q)
			}
			workers := templateInt(t, samtemplate.Map(ev.Properties["ScalingConfig"])["MaximumConcurrency"], 2)
			src := sqslocal.Source{Queue: q, BatchSize: templateInt(t, ev.Properties["BatchSize"], 10),
				Workers: min(workers, maxLocalPollers), Invoke: inv.Invoke, Log: s.log}
			s.sqs.Run(s.closeCh, src)
			s.Schedules = append(s.Schedules, fmt.Sprintf("%s.%s SQS %s (batch %d, %d pollers)", f.LogicalID, ev.Name, q, src.BatchSize, src.Workers))
		}
	}
	return nil
}

// serveSQSAdvance moves the queues' clock.
func (s *Stack) serveSQSAdvance(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("seconds"))
	if err != nil || n < 0 {
		http.Error(w, `{"error":"give seconds=N"}`, http.StatusBadRequest)
		return
	}
	s.sqs.Advance(time.Duration(n) * time.Second)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"advanced\":%d}\n", n)
}
