package modelformat

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// GGUF value types (ggml docs/gguf.md).
const (
	ggufUint8 = iota
	ggufInt8
	ggufUint16
	ggufInt16
	ggufUint32
	ggufInt32
	ggufFloat32
	ggufBool
	ggufString
	ggufArray
	ggufUint64
	ggufInt64
	ggufFloat64
)

var ggufSizes = map[uint32]int64{
	ggufUint8: 1, ggufInt8: 1, ggufBool: 1, ggufUint16: 2, ggufInt16: 2, ggufUint32: 4, ggufInt32: 4,
	ggufFloat32: 4, ggufUint64: 8, ggufInt64: 8, ggufFloat64: 8,
}

// GGUF caps: llama.cpp's gguf reader refuses more key-value pairs or
// tensors than fit in the file; we cap them in absolute terms too.
const (
	ggufMaxKV      = 1 << 20
	ggufMaxKey     = 1 << 16
	ggufMaxTensors = 1 << 24
)

type ggufReader struct {
	s     *src
	order binary.ByteOrder
	off   int64
	v1    bool // version 1: u32 lengths and counts
}

func (g *ggufReader) bytes(n int64) ([]byte, error) {
	b, err := g.s.at(g.off, n)
	if err != nil {
		return nil, err
	}
	g.off += n
	return b, nil
}

func (g *ggufReader) u32() (uint32, error) {
	b, err := g.bytes(4)
	if err != nil {
		return 0, err
	}
	return g.order.Uint32(b), nil
}

func (g *ggufReader) u64() (uint64, error) {
	b, err := g.bytes(8)
	if err != nil {
		return 0, err
	}
	return g.order.Uint64(b), nil
}

// length reads a string length or count (u64; u32 in version 1).
func (g *ggufReader) length() (uint64, error) {
	if g.v1 {
		v, err := g.u32()
		return uint64(v), err
	}
	return g.u64()
}

// str reads a string, keeping at most max bytes (the rest is skipped).
func (g *ggufReader) str(max int64) (string, uint64, error) {
	n, err := g.length()
	if err != nil {
		return "", 0, err
	}
	if n > uint64(g.s.size-g.off) {
		return "", 0, fmt.Errorf("a string of %d bytes overruns the file at %d", n, g.off)
	}
	keep := int64(n)
	if keep > max {
		keep = max
	}
	b, err := g.s.at(g.off, keep)
	if err != nil {
		return "", 0, err
	}
	g.off += int64(n)
	return string(b), n, nil
}

// skip passes over one value of type t.
func (g *ggufReader) skip(t uint32, depth int) error {
	if err := g.s.field(); err != nil {
		return err
	}
	if size, ok := ggufSizes[t]; ok {
		if size > g.s.size-g.off {
			return fmt.Errorf("a value overruns the file at %d", g.off)
		}
		g.off += size
		return nil
	}
	switch t {
	case ggufString:
		_, _, err := g.str(0)
		return err
	case ggufArray:
		if depth > g.s.opt.MaxDepth {
			return fmt.Errorf("%w: arrays nested deeper than %d", errLimit, g.s.opt.MaxDepth)
		}
		et, err := g.u32()
		if err != nil {
			return err
		}
		n, err := g.length()
		if err != nil {
			return err
		}
		if size, ok := ggufSizes[et]; ok {
			if n > uint64(g.s.size-g.off)/uint64(size) {
				return fmt.Errorf("an array of %d values overruns the file at %d", n, g.off)
			}
			g.off += int64(n) * size
			return nil
		}
		// Strings and arrays take at least 8 (4 in version 1) bytes each.
		if n > uint64(g.s.size-g.off)/4 {
			return fmt.Errorf("an array of %d values overruns the file at %d", n, g.off)
		}
		for i := uint64(0); i < n; i++ {
			if err := g.skip(et, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown value type %d at %d", t, g.off-4)
}

// readGGUF reads the header and every key-value pair, skipping values by
// their size, and checks each chat template (tokenizer.chat_template and
// the named tokenizer.chat_template.<name>): templates are Jinja, and a
// renderer without a sandbox runs what they reach (CVE-2024-34359).
// Tensor infos and data are not read: they carry no code.
func readGGUF(s *src, c *collector) error {
	if s.size < 4 {
		return errNotFormat
	}
	magic, err := s.at(0, 4)
	if err != nil {
		return err
	}
	if string(magic) != "GGUF" {
		return errNotFormat
	}
	g := &ggufReader{s: s, order: binary.LittleEndian, off: 4}
	version, err := g.u32()
	if err != nil {
		return fmt.Errorf("truncated header")
	}
	// gguf-py: a version whose low 16 bits are zero was written big-endian.
	if version&0xffff == 0 {
		g.order = binary.BigEndian
		version = (version>>24)&0xff | (version>>8)&0xff00 | (version<<8)&0xff0000 | version<<24
	}
	switch version {
	case 1:
		g.v1 = true
	case 2, 3:
	default:
		return fmt.Errorf("unsupported GGUF version %d", version)
	}
	tensors, err := g.length()
	if err != nil {
		return fmt.Errorf("truncated header")
	}
	kvs, err := g.length()
	if err != nil {
		return fmt.Errorf("truncated header")
	}
	if tensors > ggufMaxTensors {
		return fmt.Errorf("%w: %d tensors (cap %d)", errLimit, tensors, ggufMaxTensors)
	}
	if kvs > ggufMaxKV {
		return fmt.Errorf("%w: %d key-value pairs (cap %d)", errLimit, kvs, ggufMaxKV)
	}
	for i := uint64(0); i < kvs; i++ {
		key, n, err := g.str(ggufMaxKey)
		if err != nil {
			return err
		}
		if n > ggufMaxKey {
			return fmt.Errorf("%w: a key of %d bytes", errLimit, n)
		}
		t, err := g.u32()
		if err != nil {
			return err
		}
		if t == ggufString && isChatTemplateKey(key) {
			tpl, n, err := g.str(s.opt.MaxText)
			if err != nil {
				return err
			}
			if int64(n) > s.opt.MaxText {
				return fmt.Errorf("%w: chat template %s of %d bytes", errLimit, key, n)
			}
			for _, hit := range checkTemplate(tpl) {
				c.add(Dangerous, "chat template %s: %s in %s", key, hit.why, quote(hit.expr, 200))
			}
			continue
		}
		if err := g.skip(t, 0); err != nil {
			return err
		}
	}
	return nil
}

func isChatTemplateKey(k string) bool {
	return k == "tokenizer.chat_template" || strings.HasPrefix(k, "tokenizer.chat_template.")
}
