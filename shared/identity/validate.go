package identity

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hubsec/trustlayer/shared/platform/apperr"
)

// Name rules, like the Hub's: letters, digits, '-', '_', '.'; 2 to 42
// characters; no leading or trailing '-' or '.', no "--" or "..". User and
// organization names share one namespace.
const (
	MinNameLen = 2
	MaxNameLen = 42
)

// reserved are names that would collide with routes or impersonate staff.
var reserved = map[string]bool{
	"api": true, "models": true, "datasets": true, "spaces": true, "settings": true,
	"login": true, "logout": true, "join": true, "signup": true, "new": true, "docs": true,
	"organizations": true, "orgs": true, "admin": true, "administrator": true, "root": true,
	"support": true, "security": true, "staff": true, "huggingface": true, "hf": true,
	"system": true, "anonymous": true, "null": true, "undefined": true, "git": true, "lfs": true,
	"static": true, "assets": true, "health": true, "pricing": true, "blog": true, "inference": true,
}

// CheckName validates a user or organization name.
func CheckName(kind, name string) error {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return apperr.E(apperr.Invalid, "%s must be %d to %d characters long", kind, MinNameLen, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return apperr.E(apperr.Invalid, "%s may contain only letters, digits, '-', '_' and '.'", kind)
		}
	}
	if strings.ContainsAny(name[:1], "-.") || strings.ContainsAny(name[len(name)-1:], "-.") {
		return apperr.E(apperr.Invalid, "%s may not start or end with '-' or '.'", kind)
	}
	if strings.Contains(name, "--") || strings.Contains(name, "..") {
		return apperr.E(apperr.Invalid, "%s may not contain \"--\" or \"..\"", kind)
	}
	if reserved[strings.ToLower(name)] {
		return apperr.E(apperr.Invalid, "%s %q is reserved", kind, name)
	}
	return nil
}

// NormalizeEmail validates an address and returns it with its domain
// lower-cased. Display names and comments are refused.
func NormalizeEmail(addr string) (string, error) {
	if len(addr) == 0 || len(addr) > 254 {
		return "", apperr.E(apperr.Invalid, "email must be 1 to 254 characters long")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr || a.Name != "" {
		return "", apperr.E(apperr.Invalid, "email is not a valid address")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 1 || !strings.Contains(addr[at:], ".") {
		return "", apperr.E(apperr.Invalid, "email is not a valid address")
	}
	return addr[:at] + strings.ToLower(addr[at:]), nil
}

// Password length limits (bytes for the upper bound: argon2 input).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

func checkPassword(p string) error {
	if utf8.RuneCountInString(p) < MinPasswordLen || len(p) > MaxPasswordLen {
		return apperr.E(apperr.Invalid, "password must be %d to %d characters long", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// Token names are shown in lists and audit logs.
const MaxTokenNameLen = 64

func checkTokenName(n string) error {
	if strings.TrimSpace(n) == "" {
		return apperr.E(apperr.Invalid, "name must not be empty")
	}
	if utf8.RuneCountInString(n) > MaxTokenNameLen {
		return apperr.E(apperr.Invalid, "name must be at most %d characters", MaxTokenNameLen)
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f {
			return apperr.E(apperr.Invalid, "name must not contain control characters")
		}
	}
	return nil
}

// MaxTokenLifetime bounds expiresAt; tokens may also never expire.
const MaxTokenLifetime = 5 * 365 * 24 * time.Hour
