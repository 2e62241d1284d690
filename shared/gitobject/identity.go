package gitobject

import (
	"strconv"
	"strings"
	"time"
)

// Identity is a parsed author, committer or tagger line:
// `Name <email> 1700000000 +0200`.
type Identity struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Date  time.Time `json:"date"` // in the zone of TZ
	Unix  int64     `json:"unix"` // seconds since the epoch
	TZ    string    `json:"tz"`   // as written, for example "+0200"
}

// ParseIdentity parses the value of an author, committer or tagger header.
// The name may be empty; the email is what sits between the first '<' and
// the next '>', like git's split_ident_line.
func ParseIdentity(s string) (Identity, error) {
	var id Identity
	lt := strings.IndexByte(s, '<')
	if lt < 0 {
		return id, &ParseError{Err: ErrBadIdentity, Detail: "no '<' before the email"}
	}
	gt := strings.IndexByte(s[lt:], '>')
	if gt < 0 {
		return id, &ParseError{Err: ErrBadIdentity, Detail: "no '>' after the email"}
	}
	gt += lt
	id.Name = strings.TrimSpace(s[:lt])
	id.Email = s[lt+1 : gt]
	rest := strings.Fields(s[gt+1:])
	if len(rest) != 2 {
		return id, &ParseError{Err: ErrBadIdentity, Detail: "want \"<email> SECONDS +HHMM\""}
	}
	unix, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || rest[0][0] == '-' || rest[0][0] == '+' {
		return id, &ParseError{Err: ErrBadIdentity, Detail: "timestamp is not a number of seconds"}
	}
	offset, ok := parseTZ(rest[1])
	if !ok {
		return id, &ParseError{Err: ErrBadIdentity, Detail: "time zone is not +HHMM or -HHMM"}
	}
	id.Unix, id.TZ = unix, rest[1]
	id.Date = time.Unix(unix, 0).In(time.FixedZone(rest[1], offset))
	return id, nil
}

// parseTZ turns "+0200" into an offset in seconds.
func parseTZ(tz string) (int, bool) {
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return 0, false
	}
	for _, c := range tz[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h, _ := strconv.Atoi(tz[1:3])
	m, _ := strconv.Atoi(tz[3:5])
	off := h*3600 + m*60
	if tz[0] == '-' {
		off = -off
	}
	return off, true
}
