package modelformat

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// pbField is one protobuf field read by walk: for a length-delimited
// field, off and n locate its bytes in the source (they are not read).
type pbField struct {
	num    protowire.Number
	typ    protowire.Type
	off, n int64
	varint uint64
}

// errProto marks bytes that are not a well-formed protobuf message: the
// C++ parser (ParseFromString) would refuse them.
var errProto = errors.New("malformed protobuf")

// walk reads the fields of the message in [off, end) as the protobuf wire
// format defines them, calling fn for each. It reads tags and lengths only:
// a length-delimited value is skipped by offset unless fn reads it. Groups
// (deprecated but accepted by the C++ parser as unknown fields) are skipped
// field by field.
func walk(s *src, off, end int64, fn func(pbField) error) error {
	for off < end {
		f, next, err := readField(s, off, end)
		if err != nil {
			return err
		}
		if f.typ == protowire.StartGroupType {
			if next, err = skipGroup(s, f.num, next, end, 0); err != nil {
				return err
			}
		} else if f.typ == protowire.EndGroupType {
			return fmt.Errorf("%w: end of group outside a group at %d", errProto, off)
		} else if fn != nil {
			if err := fn(f); err != nil {
				return err
			}
		}
		off = next
	}
	return nil
}

func skipGroup(s *src, num protowire.Number, off, end int64, depth int) (int64, error) {
	if depth > s.opt.MaxDepth {
		return 0, fmt.Errorf("%w: groups nested deeper than %d", errLimit, s.opt.MaxDepth)
	}
	for off < end {
		f, next, err := readField(s, off, end)
		if err != nil {
			return 0, err
		}
		switch f.typ {
		case protowire.EndGroupType:
			if f.num != num {
				return 0, fmt.Errorf("%w: mismatched end of group at %d", errProto, off)
			}
			return next, nil
		case protowire.StartGroupType:
			if next, err = skipGroup(s, f.num, next, end, depth+1); err != nil {
				return 0, err
			}
		}
		off = next
	}
	return 0, fmt.Errorf("%w: unterminated group", errProto)
}

// readField reads one tag and its value's extent at off.
func readField(s *src, off, end int64) (pbField, int64, error) {
	if err := s.field(); err != nil {
		return pbField{}, 0, err
	}
	head, err := s.at(off, min64(20, end-off))
	if err != nil {
		return pbField{}, 0, err
	}
	num, typ, n := protowire.ConsumeTag(head)
	if n < 0 {
		return pbField{}, 0, fmt.Errorf("%w: bad tag at %d", errProto, off)
	}
	f := pbField{num: num, typ: typ}
	rest := head[n:]
	pos := off + int64(n)
	switch typ {
	case protowire.VarintType:
		v, m := protowire.ConsumeVarint(rest)
		if m < 0 {
			return f, 0, fmt.Errorf("%w: bad varint at %d", errProto, pos)
		}
		f.varint = v
		return f, pos + int64(m), nil
	case protowire.Fixed32Type:
		if end-pos < 4 {
			return f, 0, fmt.Errorf("%w: truncated fixed32 at %d", errProto, pos)
		}
		return f, pos + 4, nil
	case protowire.Fixed64Type:
		if end-pos < 8 {
			return f, 0, fmt.Errorf("%w: truncated fixed64 at %d", errProto, pos)
		}
		return f, pos + 8, nil
	case protowire.BytesType:
		v, m := protowire.ConsumeVarint(rest)
		if m < 0 {
			return f, 0, fmt.Errorf("%w: bad length at %d", errProto, pos)
		}
		pos += int64(m)
		if v > uint64(end-pos) {
			return f, 0, fmt.Errorf("%w: length %d overruns its message at %d", errProto, v, pos)
		}
		f.off, f.n = pos, int64(v)
		return f, pos + int64(v), nil
	case protowire.StartGroupType, protowire.EndGroupType:
		return f, pos, nil
	}
	return f, 0, fmt.Errorf("%w: wire type %d at %d", errProto, typ, off)
}

// text reads a length-delimited field as a string of at most max bytes
// (longer ones are cut, with the cut marked by ok false).
func text(s *src, f pbField, max int64) (string, bool, error) {
	if f.typ != protowire.BytesType {
		return "", false, nil
	}
	n, ok := f.n, true
	if n > max {
		n, ok = max, false
	}
	b, err := s.at(f.off, n)
	if err != nil {
		return "", false, err
	}
	return string(b), ok, nil
}

// isMsg reports whether f can hold an embedded message.
func isMsg(f pbField) bool { return f.typ == protowire.BytesType }

// looksLikeMessage reports whether [off, end) parses as protobuf fields to
// its end (a cheap check on the top level, no descent).
func looksLikeMessage(s *src, off, end int64, want func(pbField) bool) (bool, error) {
	found := false
	err := walk(s, off, end, func(f pbField) error {
		if want(f) {
			found = true
		}
		return nil
	})
	if err != nil {
		var io *ioError
		if errors.As(err, &io) || errors.Is(err, errLimit) {
			return false, err
		}
		return false, nil
	}
	return found, nil
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
