// Package sqslocal is the local stack's Amazon SQS: standard queues in
// memory, spoken to with SQS's JSON protocol (what aws-sdk-go-v2 sends), with
// the semantics the stack relies on: a received message is hidden for the
// queue's visibility timeout (or the receive's own) and shows again unless
// deleted; each receive counts; past the redrive policy's maxReceiveCount a
// message moves to the dead-letter queue on its next receive, as SQS does.
// No SQS emulator ships with Debian or npm, so this stands in for SQS; it
// implements what the stack uses (send, batch send, receive with long
// polling, delete, batch delete, change visibility, queue URL and
// attributes), not ordering, FIFO queues, delays or permissions.
//
// Its clock can be advanced (Advance) so that tests see a visibility
// timeout of 90 minutes pass without waiting for it.
package sqslocal

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account is the account id in queue URLs and ARNs.
const Account = "000000000000"

// QueueConfig is one queue's settings (from template.yaml).
type QueueConfig struct {
	Name              string
	VisibilityTimeout time.Duration // SQS's default is 30 s
	// DeadLetter names the redrive target; MaxReceiveCount its bound.
	DeadLetter      string
	MaxReceiveCount int
}

// Server holds the queues.
type Server struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queues  map[string]*queue
	offset  time.Duration // Advance
	region  string
	BaseURL string // queue URLs are BaseURL/<account>/<name>
}

type queue struct {
	cfg  QueueConfig
	msgs []*Message
}

// Message is a message in a queue.
type Message struct {
	ID            string
	Body          string
	Attributes    map[string]MessageAttribute
	SentAt        time.Time
	FirstReceive  time.Time
	ReceiveCount  int
	ReceiptHandle string
	visibleAt     time.Time
}

// MessageAttribute is a message attribute (String and Number only).
type MessageAttribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
}

// New returns a server with the queues configured.
func New(baseURL, region string, cfgs []QueueConfig) *Server {
	s := &Server{queues: map[string]*queue{}, BaseURL: strings.TrimRight(baseURL, "/"), region: region}
	s.cond = sync.NewCond(&s.mu)
	for _, c := range cfgs {
		if c.VisibilityTimeout <= 0 {
			c.VisibilityTimeout = 30 * time.Second
		}
		s.queues[c.Name] = &queue{cfg: c}
	}
	return s
}

// URL is a queue's URL.
func (s *Server) URL(name string) string { return s.BaseURL + "/" + Account + "/" + name }

// ARN is a queue's ARN.
func (s *Server) ARN(name string) string {
	return "arn:aws:sqs:" + s.region + ":" + Account + ":" + name
}

func (s *Server) now() time.Time { return time.Now().Add(s.offset) }

// Advance moves the queues' clock forward by d (hidden messages whose
// visibility timeout ends within d show again).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
	s.cond.Broadcast()
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Send puts a message on a queue.
func (s *Server) Send(name, body string, attrs map[string]MessageAttribute) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return nil, errNoQueue
	}
	m := &Message{ID: newID(), Body: body, Attributes: attrs, SentAt: s.now()}
	q.msgs = append(q.msgs, m)
	s.cond.Broadcast()
	return m, nil
}

// Receive takes up to max visible messages, hiding each for hide (the
// queue's visibility timeout when 0), waiting up to wait for one. A
// message already received MaxReceiveCount times moves to the dead-letter
// queue instead of being returned.
func (s *Server) Receive(name string, max int, hide, wait time.Duration) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return nil, errNoQueue
	}
	if hide <= 0 {
		hide = q.cfg.VisibilityTimeout
	}
	give := time.Now().Add(wait)
	for {
		out := s.take(q, max, hide)
		if len(out) > 0 || !time.Now().Before(give) {
			return out, nil
		}
		// Wake at least every 100 ms: hidden messages show again with time.
		t := time.AfterFunc(100*time.Millisecond, s.cond.Broadcast)
		s.cond.Wait()
		t.Stop()
	}
}

func (s *Server) take(q *queue, max int, hide time.Duration) []Message {
	now := s.now()
	var out []Message
	kept := q.msgs[:0]
	for _, m := range q.msgs {
		if len(out) >= max || m.visibleAt.After(now) {
			kept = append(kept, m)
			continue
		}
		if dlq, ok := s.queues[q.cfg.DeadLetter]; ok && q.cfg.MaxReceiveCount > 0 && m.ReceiveCount >= q.cfg.MaxReceiveCount {
			// Redrive: SQS moves the message when a receive finds it past
			// maxReceiveCount; it keeps its id, body and attributes.
			m.visibleAt, m.ReceiptHandle = time.Time{}, ""
			dlq.msgs = append(dlq.msgs, m)
			continue
		}
		m.ReceiveCount++
		if m.FirstReceive.IsZero() {
			m.FirstReceive = now
		}
		m.visibleAt = now.Add(hide)
		m.ReceiptHandle = newID() + "#" + m.ID
		out = append(out, *m)
		kept = append(kept, m)
	}
	q.msgs = kept
	return out
}

// Delete removes the message a receipt handle names; a stale handle (the
// message was received again since) is accepted and does nothing, as SQS
// may do.
func (s *Server) Delete(name, handle string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return errNoQueue
	}
	if !strings.Contains(handle, "#") {
		return &apiError{"ReceiptHandleIsInvalid", "The input receipt handle is invalid."}
	}
	for i, m := range q.msgs {
		if m.ReceiptHandle == handle {
			q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
			return nil
		}
	}
	return nil
}

// ChangeVisibility hides the message a receipt handle names for d from now.
func (s *Server) ChangeVisibility(name, handle string, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return errNoQueue
	}
	for _, m := range q.msgs {
		if m.ReceiptHandle == handle {
			m.visibleAt = s.now().Add(d)
			s.cond.Broadcast()
			return nil
		}
	}
	return &apiError{"MessageNotInflight", "The message referred to is not in flight."}
}

// Counts returns a queue's visible and hidden (in flight) messages.
func (s *Server) Counts(name string) (visible, inFlight int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		return 0, 0, errNoQueue
	}
	now := s.now()
	for _, m := range q.msgs {
		if m.visibleAt.After(now) {
			inFlight++
		} else {
			visible++
		}
	}
	return visible, inFlight, nil
}

// Queues lists the queue names.
func (s *Server) Queues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.queues {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type apiError struct{ code, msg string }

func (e *apiError) Error() string { return e.code + ": " + e.msg }

var errNoQueue = &apiError{"QueueDoesNotExist", "The specified queue does not exist."}

// IsSQS says whether r is an SQS JSON-protocol request.
func IsSQS(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{"InvalidParameterValue", err.Error()}
	}
	w.Header().Set("X-Amzn-Query-Error", e.code+";Sender")
	writeJSON(w, http.StatusBadRequest, map[string]string{"__type": "com.amazonaws.sqs#" + e.code, "message": e.msg})
}

func md5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// queueName is the last segment of a queue URL.
func queueName(url string) string {
	return url[strings.LastIndex(url, "/")+1:]
}

type sendEntry struct {
	ID                string                      `json:"Id"`
	QueueURL          string                      `json:"QueueUrl"`
	MessageBody       string                      `json:"MessageBody"`
	MessageAttributes map[string]MessageAttribute `json:"MessageAttributes"`
}

// ServeHTTP answers the SQS JSON protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		writeErr(w, &apiError{"InvalidParameterValue", "request too large"})
		return
	}
	var in struct {
		sendEntry
		QueueName                   string      `json:"QueueName"`
		Entries                     []sendEntry `json:"Entries"`
		MaxNumberOfMessages         int         `json:"MaxNumberOfMessages"`
		VisibilityTimeout           *int        `json:"VisibilityTimeout"`
		WaitTimeSeconds             int         `json:"WaitTimeSeconds"`
		ReceiptHandle               string      `json:"ReceiptHandle"`
		MessageAttributeNames       []string    `json:"MessageAttributeNames"`
		MessageSystemAttributeNames []string    `json:"MessageSystemAttributeNames"`
		AttributeNames              []string    `json:"AttributeNames"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeErr(w, &apiError{"InvalidParameterValue", "request is not JSON"})
		return
	}
	name := queueName(in.QueueURL)
	switch op {
	case "GetQueueUrl":
		s.mu.Lock()
		_, ok := s.queues[in.QueueName]
		s.mu.Unlock()
		if !ok {
			writeErr(w, errNoQueue)
			return
		}
		writeJSON(w, 200, map[string]string{"QueueUrl": s.URL(in.QueueName)})
	case "SendMessage":
		m, err := s.Send(name, in.MessageBody, in.MessageAttributes)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, 200, map[string]string{"MessageId": m.ID, "MD5OfMessageBody": md5Hex(m.Body)})
	case "SendMessageBatch":
		type ok struct {
			ID               string `json:"Id"`
			MessageID        string `json:"MessageId"`
			MD5OfMessageBody string `json:"MD5OfMessageBody"`
		}
		if len(in.Entries) == 0 || len(in.Entries) > 10 {
			writeErr(w, &apiError{"TooManyEntriesInBatchRequest", "a batch holds 1 to 10 entries"})
			return
		}
		out := struct {
			Successful []ok  `json:"Successful"`
			Failed     []any `json:"Failed"`
		}{Successful: []ok{}, Failed: []any{}}
		for _, e := range in.Entries {
			m, err := s.Send(name, e.MessageBody, e.MessageAttributes)
			if err != nil {
				writeErr(w, err)
				return
			}
			out.Successful = append(out.Successful, ok{e.ID, m.ID, md5Hex(m.Body)})
		}
		writeJSON(w, 200, out)
	case "ReceiveMessage":
		max := in.MaxNumberOfMessages
		if max <= 0 {
			max = 1
		}
		if max > 10 || in.WaitTimeSeconds > 20 || in.WaitTimeSeconds < 0 {
			writeErr(w, &apiError{"InvalidParameterValue", "MaxNumberOfMessages is 1-10, WaitTimeSeconds 0-20"})
			return
		}
		var hide time.Duration
		if in.VisibilityTimeout != nil {
			hide = time.Duration(*in.VisibilityTimeout) * time.Second
		}
		msgs, err := s.Receive(name, max, hide, time.Duration(in.WaitTimeSeconds)*time.Second)
		if err != nil {
			writeErr(w, err)
			return
		}
		type msgOut struct {
			MessageID         string                      `json:"MessageId"`
			ReceiptHandle     string                      `json:"ReceiptHandle"`
			MD5OfBody         string                      `json:"MD5OfBody"`
			Body              string                      `json:"Body"`
			Attributes        map[string]string           `json:"Attributes,omitempty"`
			MessageAttributes map[string]MessageAttribute `json:"MessageAttributes,omitempty"`
		}
		out := struct {
			Messages []msgOut `json:"Messages"`
		}{Messages: []msgOut{}}
		for _, m := range msgs {
			mo := msgOut{MessageID: m.ID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: md5Hex(m.Body), Body: m.Body,
				Attributes: SystemAttributes(m)}
			if len(in.MessageAttributeNames) > 0 && len(m.Attributes) > 0 {
				mo.MessageAttributes = map[string]MessageAttribute{}
				for k, v := range m.Attributes {
					for _, want := range in.MessageAttributeNames {
						if want == k || want == "All" || want == ".*" {
							mo.MessageAttributes[k] = v
						}
					}
				}
			}
			out.Messages = append(out.Messages, mo)
		}
		writeJSON(w, 200, out)
	case "DeleteMessage":
		if err := s.Delete(name, in.ReceiptHandle); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, 200, map[string]any{})
	case "DeleteMessageBatch":
		var del struct {
			Entries []struct {
				ID            string `json:"Id"`
				ReceiptHandle string `json:"ReceiptHandle"`
			} `json:"Entries"`
		}
		_ = json.Unmarshal(body, &del)
		type ok struct {
			ID string `json:"Id"`
		}
		out := struct {
			Successful []ok  `json:"Successful"`
			Failed     []any `json:"Failed"`
		}{Successful: []ok{}, Failed: []any{}}
		for _, e := range del.Entries {
			if err := s.Delete(name, e.ReceiptHandle); err != nil {
				writeErr(w, err)
				return
			}
			out.Successful = append(out.Successful, ok{e.ID})
		}
		writeJSON(w, 200, out)
	case "ChangeMessageVisibility":
		d := 0
		if in.VisibilityTimeout != nil {
			d = *in.VisibilityTimeout
		}
		if err := s.ChangeVisibility(name, in.ReceiptHandle, time.Duration(d)*time.Second); err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, 200, map[string]any{})
	case "GetQueueAttributes":
		visible, inFlight, err := s.Counts(name)
		if err != nil {
			writeErr(w, err)
			return
		}
		s.mu.Lock()
		cfg := s.queues[name].cfg
		s.mu.Unlock()
		attrs := map[string]string{
			"ApproximateNumberOfMessages":           strconv.Itoa(visible),
			"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
			"VisibilityTimeout":                     strconv.Itoa(int(cfg.VisibilityTimeout / time.Second)),
			"QueueArn":                              s.ARN(name),
		}
		if cfg.DeadLetter != "" {
			rp, _ := json.Marshal(map[string]any{"deadLetterTargetArn": s.ARN(cfg.DeadLetter), "maxReceiveCount": cfg.MaxReceiveCount})
			attrs["RedrivePolicy"] = string(rp)
		}
		writeJSON(w, 200, map[string]any{"Attributes": attrs})
	default:
		writeErr(w, &apiError{"UnsupportedOperation", fmt.Sprintf("the local SQS does not implement %s", op)})
	}
}

// SystemAttributes are the message's system attributes as SQS and
// Lambda's SQS event name them.
func SystemAttributes(m Message) map[string]string {
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	return map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
		"SentTimestamp":                    ms(m.SentAt),
		"ApproximateFirstReceiveTimestamp": ms(m.FirstReceive),
		"SenderId":                         Account,
	}
}
