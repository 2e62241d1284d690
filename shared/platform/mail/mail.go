// Package mail holds the Mailer adapters: Outbox, which writes each message
// as a JSON file (the local stack prints the directory; tests read it), and
// SES for AWS.
package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hubsec/trustlayer/shared/platform/awsrest"
	"github.com/hubsec/trustlayer/shared/platform/config"
	"github.com/hubsec/trustlayer/shared/platform/randid"
)

// Message is one sent message as the outbox stores it.
type Message struct {
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sentAt"`
}

// Outbox writes messages into a directory, one JSON file each, named so
// that a directory listing is in sending order.
type Outbox struct{ Dir string }

// Send writes the message atomically (temp file + rename).
func (o Outbox) Send(_ context.Context, to, subject, body string) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	now := time.Now().UTC()
	name := fmt.Sprintf("%s-%s.json", now.Format("20060102T150405.000000000"), randid.Hex(6))
	b, _ := json.MarshalIndent(Message{To: to, Subject: subject, Body: body, SentAt: now}, "", "  ")
	tmp := filepath.Join(o.Dir, "."+name)
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return os.Rename(tmp, filepath.Join(o.Dir, name))
}

// Read returns the messages to an address, oldest first.
func (o Outbox) Read(to string) ([]Message, error) {
	entries, err := os.ReadDir(o.Dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []Message
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(o.Dir, n))
		if err != nil {
			return nil, err
		}
		var m Message
		if json.Unmarshal(b, &m) == nil && strings.EqualFold(m.To, to) {
			out = append(out, m)
		}
	}
	return out, nil
}

// SES sends through Amazon SES v2 (awsrest, not the SDK's sesv2 client,
// whose package init every function that may send mail paid at each cold
// start).
type SES struct {
	Client *awsrest.SES
	From   string
}

// Send sends a plain-text message.
func (s SES) Send(ctx context.Context, to, subject, body string) error {
	_, err := s.Client.SendText(ctx, s.From, to, subject, body)
	if err != nil {
		return fmt.Errorf("ses send: %w", err)
	}
	return nil
}

// FromConfig returns the configured Mailer (config.NeedMailer checked the
// settings): SES on AWS, the outbox elsewhere. It lives here rather than in
// each function's main so that only the functions that send mail link the SES client.
func FromConfig(cfg *config.Config, awsCfg aws.Config) *Mailer {
	if cfg.Mailer == "ses" {
		return &Mailer{SES: &SES{Client: awsrest.NewSES(awsCfg), From: cfg.MailFrom}}
	}
	return &Mailer{Outbox: &Outbox{Dir: cfg.OutboxDir}}
}

// Mailer is whichever adapter the configuration chose.
type Mailer struct {
	SES    *SES
	Outbox *Outbox
}

// Send sends through the chosen adapter.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	if m.SES != nil {
		return m.SES.Send(ctx, to, subject, body)
	}
	return m.Outbox.Send(ctx, to, subject, body)
}
