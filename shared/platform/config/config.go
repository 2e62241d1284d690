// Package config reads each function's settings once, at start, from the
// environment into a typed struct. A missing or bad value is an error whose
// message says how to fix it; main prints it and exits.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hubsec/trustlayer/shared/platform/logging"
)

// Config holds every setting a function may use. Functions declare which of
// the optional ones they need with Need values passed to Load.
type Config struct {
	Function string     // the function's name, for logs
	Port     int        // PORT: where to serve HTTP when not on Lambda
	OnLambda bool       // AWS_LAMBDA_RUNTIME_API is set
	LogLevel slog.Level // LOG_LEVEL

	Table     string // TRUSTLAYER_TABLE
	Bucket    string // TRUSTLAYER_BUCKET
	PublicURL string // TRUSTLAYER_PUBLIC_URL: base URL clients use (repo URLs, LFS hrefs)

	// TokenPepper (TRUSTLAYER_TOKEN_PEPPER) is the server-side HMAC key of
	// email-code hashes. NeedPepper requires it outside the local stack.
	TokenPepper string

	Mailer    string // TRUSTLAYER_MAILER: "outbox" (local) or "ses"
	OutboxDir string // TRUSTLAYER_OUTBOX_DIR, with Mailer "outbox"
	MailFrom  string // TRUSTLAYER_MAIL_FROM, with Mailer "ses"

	ClamdAddress string        // CLAMD_ADDRESS: "tcp://host:port" or "unix:///path"
	ScanTimeout  time.Duration // SCAN_TIMEOUT
	ScanQueue    string        // TRUSTLAYER_SCAN_QUEUE_URL: the scan queue (SQS) scans are sent to

	Env map[string]string // the raw environment, for adapters with settings of their own
}

// Need names an optional setting that a function requires.
type Need int

// The optional settings.
const (
	NeedTable Need = iota
	NeedBucket
	NeedMailer
	NeedClamd
	NeedScanner
	NeedPublicURL
	NeedPepper
)

// MinPepperLen is the shortest TRUSTLAYER_TOKEN_PEPPER accepted (bytes).
const MinPepperLen = 32

// Load reads the settings from environ (os.Environ() in main, a literal slice
// in tests) and checks that every needed one is present and well formed.
func Load(function string, environ []string, needs ...Need) (*Config, error) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	c := &Config{Function: function, Env: env, OnLambda: env["AWS_LAMBDA_RUNTIME_API"] != ""}
	var errs []error
	bad := func(name, why string) { errs = append(errs, fmt.Errorf("%s %s", name, why)) }

	c.Port = 8080
	if v := env["PORT"]; v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad("PORT", fmt.Sprintf("is %q: set it to a TCP port number between 1 and 65535", v))
		}
		c.Port = p
	}
	c.LogLevel = slog.LevelInfo
	if v := env["LOG_LEVEL"]; v != "" {
		l, ok := logging.ParseLevel(v)
		if !ok {
			bad("LOG_LEVEL", fmt.Sprintf("is %q: use debug, info, warn or error", v))
		}
		c.LogLevel = l
	}
	c.Table = env["TRUSTLAYER_TABLE"]
	c.Bucket = env["TRUSTLAYER_BUCKET"]
	c.PublicURL = strings.TrimRight(env["TRUSTLAYER_PUBLIC_URL"], "/")
	c.TokenPepper = env["TRUSTLAYER_TOKEN_PEPPER"]
	c.Mailer = env["TRUSTLAYER_MAILER"]
	c.OutboxDir = env["TRUSTLAYER_OUTBOX_DIR"]
	c.MailFrom = env["TRUSTLAYER_MAIL_FROM"]
	c.ClamdAddress = env["CLAMD_ADDRESS"]
	c.ScanQueue = env["TRUSTLAYER_SCAN_QUEUE_URL"]
	c.ScanTimeout = 10 * time.Minute
	if v := env["SCAN_TIMEOUT"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("SCAN_TIMEOUT", fmt.Sprintf("is %q: use a Go duration such as 5m or 90s", v))
		}
		c.ScanTimeout = d
	}

	for _, n := range needs {
		switch n {
		case NeedTable:
			if c.Table == "" {
				bad("TRUSTLAYER_TABLE", "is not set: name the DynamoDB table (template.yaml passes it; `make dev` uses trustlayer)")
			}
		case NeedBucket:
			if c.Bucket == "" {
				bad("TRUSTLAYER_BUCKET", "is not set: name the uploads S3 bucket (template.yaml passes it; `make dev` uses trustlayer-uploads)")
			}
		case NeedMailer:
			switch c.Mailer {
			case "outbox":
				if c.OutboxDir == "" {
					bad("TRUSTLAYER_OUTBOX_DIR", "is not set: with TRUSTLAYER_MAILER=outbox, name a directory for outgoing mail")
				}
			case "ses":
				if c.MailFrom == "" {
					bad("TRUSTLAYER_MAIL_FROM", "is not set: with TRUSTLAYER_MAILER=ses, give a verified SES sender address")
				}
			default:
				bad("TRUSTLAYER_MAILER", fmt.Sprintf("is %q: use outbox (local) or ses (AWS)", c.Mailer))
			}
		case NeedClamd:
			if err := checkClamd(c.ClamdAddress); err != nil {
				bad("CLAMD_ADDRESS", err.Error())
			}
		case NeedScanner:
			if c.ScanQueue == "" {
				bad("TRUSTLAYER_SCAN_QUEUE_URL", "is not set: give the URL of the scan queue (SQS) that scans are sent to")
			}
		case NeedPublicURL:
			if err := checkURL(c.PublicURL); err != nil {
				bad("TRUSTLAYER_PUBLIC_URL", err.Error())
			}
		case NeedPepper:
			// The local stack is the one place mail goes to the outbox
			// directory (its codes lie there in plaintext anyway); anywhere
			// else an empty or short pepper makes email-code hashes a
			// dictionary lookup for whoever reads the table.
			if c.Mailer != "outbox" && len(c.TokenPepper) < MinPepperLen {
				state := "is not set"
				if c.TokenPepper != "" {
					state = fmt.Sprintf("is %d bytes", len(c.TokenPepper))
				}
				bad("TRUSTLAYER_TOKEN_PEPPER", fmt.Sprintf("%s: give a random secret of at least %d bytes (template parameter TokenPepper, e.g. `openssl rand -base64 48`); only the local stack (TRUSTLAYER_MAILER=outbox) runs without one", state, MinPepperLen))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("configuration of %s: %w", function, errors.Join(errs...))
	}
	return c, nil
}

func checkClamd(addr string) error {
	if addr == "" {
		return errors.New("is not set: give clamd's address, tcp://127.0.0.1:3310 or unix:///run/clamd.sock")
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "unix") || (u.Host == "" && u.Path == "") {
		return fmt.Errorf("is %q: use tcp://host:port or unix:///path/to/socket", addr)
	}
	return nil
}

func checkURL(v string) error {
	if v == "" {
		return errors.New("is not set: give an absolute http(s) URL")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("is %q: give an absolute http(s) URL", v)
	}
	return nil
}
