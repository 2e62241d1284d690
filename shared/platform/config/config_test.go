package config

import (
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		needs   []Need
		wantErr string // substring; "" means success
	}{
		{"defaults", nil, nil, ""},
		{"table missing", nil, []Need{NeedTable}, "TRUSTLAYER_TABLE is not set"},
		{"table set", []string{"TRUSTLAYER_TABLE=t"}, []Need{NeedTable}, ""},
		{"bad port", []string{"PORT=http"}, nil, "PORT is \"http\""},
		{"port out of range", []string{"PORT=70000"}, nil, "between 1 and 65535"},
		{"bad level", []string{"LOG_LEVEL=loud"}, nil, "LOG_LEVEL"},
		{"mailer unknown", []string{"TRUSTLAYER_MAILER=smtp"}, []Need{NeedMailer}, "use outbox (local) or ses"},
		{"outbox without dir", []string{"TRUSTLAYER_MAILER=outbox"}, []Need{NeedMailer}, "TRUSTLAYER_OUTBOX_DIR"},
		{"clamd bad scheme", []string{"CLAMD_ADDRESS=127.0.0.1:3310"}, []Need{NeedClamd}, "tcp://host:port"},
		{"clamd ok", []string{"CLAMD_ADDRESS=tcp://127.0.0.1:3310"}, []Need{NeedClamd}, ""},
		{"two problems reported together", []string{"PORT=x"}, []Need{NeedBucket}, "TRUSTLAYER_BUCKET"},
		{"pepper missing on AWS", []string{"TRUSTLAYER_MAILER=ses", "TRUSTLAYER_MAIL_FROM=a@b.c"}, []Need{NeedMailer, NeedPepper}, "TRUSTLAYER_TOKEN_PEPPER is not set"},
		{"pepper empty on AWS", []string{"TRUSTLAYER_MAILER=ses", "TRUSTLAYER_MAIL_FROM=a@b.c", "TRUSTLAYER_TOKEN_PEPPER="}, []Need{NeedMailer, NeedPepper}, "TRUSTLAYER_TOKEN_PEPPER is not set"},
		{"pepper short", []string{"TRUSTLAYER_MAILER=ses", "TRUSTLAYER_MAIL_FROM=a@b.c", "TRUSTLAYER_TOKEN_PEPPER=short"}, []Need{NeedMailer, NeedPepper}, "is 5 bytes"},
		{"pepper set", []string{"TRUSTLAYER_MAILER=ses", "TRUSTLAYER_MAIL_FROM=a@b.c", "TRUSTLAYER_TOKEN_PEPPER=" + strings.Repeat("k", 32)}, []Need{NeedMailer, NeedPepper}, ""},
		{"local stack without pepper", []string{"TRUSTLAYER_MAILER=outbox", "TRUSTLAYER_OUTBOX_DIR=/tmp/x"}, []Need{NeedMailer, NeedPepper}, ""},
		{"bad public url", []string{"TRUSTLAYER_PUBLIC_URL=localhost"}, []Need{NeedPublicURL}, "absolute http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("fn", tt.env, tt.needs...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if c.Port != 8080 && !strings.Contains(strings.Join(tt.env, " "), "PORT") {
					t.Errorf("got default port %d, want 8080", c.Port)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
