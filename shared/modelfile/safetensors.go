package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// looksLikeSafetensors checks the 8-byte header length is plausible and the
// JSON header starts right after it.
func looksLikeSafetensors(head []byte, size int64) bool {
	if len(head) < 9 {
		return false
	}
	n := binary.LittleEndian.Uint64(head)
	return n >= 2 && n <= uint64(size-8) && head[8] == '{'
}

// safetensorsBits is the size of each dtype the safetensors library knows.
var safetensorsBits = map[string]uint64{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64,
	"C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// safetensors checks the whole file is valid as the safetensors library
// checks it: header length within limits, a UTF-8 JSON object of tensors
// (and an optional string map __metadata__) whose data offsets tile the
// rest of the file exactly. Only then is the file trusted as safetensors;
// the caller analyses it as a pickle as well whatever the answer.
func (a *analyzer) safetensors(r io.ReaderAt, size int64, full string) error {
	b, err := readAtMost(r, 0, 8)
	if err != nil || len(b) < 8 {
		return fmt.Errorf("safetensors: short header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(a.opts.MaxHeader) || n > uint64(size-8) {
		return fmt.Errorf("safetensors: header of %d bytes exceeds the limit or the file", n)
	}
	header, err := readAtMost(r, 8, int64(n))
	if err != nil {
		return fmt.Errorf("safetensors: read header: %w", err)
	}
	return checkSafetensors(header, uint64(size)-8-n)
}

type safetensorsTensor struct {
	Dtype       string   `json:"dtype"`
	Shape       []uint64 `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// checkSafetensors validates a header against dataLen, the bytes after it.
func checkSafetensors(header []byte, dataLen uint64) error {
	if !utf8.Valid(header) {
		return errors.New("safetensors: header is not UTF-8")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimRight(header, " "), &fields); err != nil {
		return fmt.Errorf("safetensors: header is not a JSON object: %w", err)
	}
	var spans [][2]uint64
	for name, raw := range fields {
		if name == "__metadata__" {
			var meta map[string]string
			if err := json.Unmarshal(raw, &meta); err != nil {
				return fmt.Errorf("safetensors: __metadata__ is not a string map: %w", err)
			}
			continue
		}
		var t safetensorsTensor
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		bits, ok := safetensorsBits[t.Dtype]
		if !ok || len(t.DataOffsets) != 2 || t.DataOffsets[1] < t.DataOffsets[0] {
			return fmt.Errorf("safetensors: tensor %q: bad dtype or offsets", name)
		}
		elems := uint64(1)
		for _, d := range t.Shape {
			if d != 0 && elems > (1<<62)/d {
				return fmt.Errorf("safetensors: tensor %q: shape overflows", name)
			}
			elems *= d
		}
		if want := elems * bits; want%8 != 0 || want/8 != t.DataOffsets[1]-t.DataOffsets[0] {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v %s", name, t.DataOffsets[1]-t.DataOffsets[0], t.Shape, t.Dtype)
		}
		spans = append(spans, [2]uint64{t.DataOffsets[0], t.DataOffsets[1]})
	}
	slices.SortFunc(spans, func(x, y [2]uint64) int {
		if x[0] != y[0] {
			return cmpU(x[0], y[0])
		}
		return cmpU(x[1], y[1])
	})
	end := uint64(0)
	for _, sp := range spans {
		if sp[0] != end {
			return fmt.Errorf("safetensors: tensor data not contiguous at %d", end)
		}
		end = sp[1]
	}
	if end != dataLen {
		return fmt.Errorf("safetensors: tensors cover %d bytes, the file holds %d", end, dataLen)
	}
	return nil
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
