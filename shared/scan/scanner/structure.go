package scanner

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// avStream is one INSTREAM session of the structure mode: byte ranges of
// the object sent in order, inflated when deflated is set.
type avStream struct {
	name     string
	segments []segment
	deflated bool
}

type segment struct{ off, n int64 }

func (s avStream) bytes() int64 {
	var t int64
	for _, g := range s.segments {
		t += g.n
	}
	return t
}

// structurePlan is what clamd sees of a recognised model file in
// structure mode, and what it does not.
type structurePlan struct {
	kind    string // pytorch-zip or safetensors
	streams []avStream
	skipped int64 // tensor bytes clamd does not see
}

// maxStructureStreams bounds INSTREAM sessions per file; an archive with
// more non-tensor members is scanned in full.
const maxStructureStreams = 256

// tensorMember matches the tensor storages torch.save writes:
// <archive>/data/<n>.
var tensorMember = regexp.MustCompile(`^[^/]+/data/[0-9]+$`)

var errNotStructured = errors.New("not a recognised model archive")

// planStructure recognises a PyTorch zip checkpoint or a safetensors file
// from the object's bytes and returns the streams for clamd. Anything it
// does not fully understand is errNotStructured, and the caller scans the
// whole file instead: the structure mode never skips bytes of a file it
// could not parse.
func planStructure(r *rangeReaderAt, size int64) (structurePlan, error) {
	head := make([]byte, 8)
	if _, err := r.ReadAt(head, 0); err != nil {
		return structurePlan{}, errNotStructured
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return planZip(r, size)
	}
	return planSafetensors(r, size, head)
}

func planSafetensors(r *rangeReaderAt, size int64, head []byte) (structurePlan, error) {
	n := binary.LittleEndian.Uint64(head)
	if n < 2 || n > 100<<20 || int64(n)+8 > size {
		return structurePlan{}, errNotStructured
	}
	first := make([]byte, 1)
	if _, err := r.ReadAt(first, 8); err != nil || first[0] != '{' {
		return structurePlan{}, errNotStructured
	}
	hdr := int64(n) + 8
	return structurePlan{kind: "safetensors", skipped: size - hdr,
		streams: []avStream{{name: "header", segments: []segment{{0, hdr}}}}}, nil
}

func planZip(r *rangeReaderAt, size int64) (structurePlan, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return structurePlan{}, errNotStructured
	}
	prefix := ""
	for _, f := range zr.File {
		if dir, ok := strings.CutSuffix(f.Name, "/data.pkl"); ok && !strings.Contains(dir, "/") {
			prefix = dir
		}
	}
	if prefix == "" {
		return structurePlan{}, errNotStructured
	}
	var plan structurePlan
	plan.kind = "pytorch-zip"
	var covered []segment // member data ranges, tensors and others
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil || off < 0 || int64(f.CompressedSize64) > size-off {
			return structurePlan{}, errNotStructured
		}
		seg := segment{off, int64(f.CompressedSize64)}
		covered = append(covered, seg)
		if tensorMember.MatchString(f.Name) && strings.HasPrefix(f.Name, prefix+"/") && f.Method == zip.Store {
			plan.skipped += seg.n
			continue
		}
		switch f.Method {
		case zip.Store, zip.Deflate:
		default:
			return structurePlan{}, errNotStructured
		}
		if seg.n > 0 {
			plan.streams = append(plan.streams, avStream{name: f.Name, segments: []segment{seg}, deflated: f.Method == zip.Deflate})
		}
	}
	// Everything not inside a member's data: local headers, gaps, the
	// central directory and anything appended after it.
	sort.Slice(covered, func(i, j int) bool { return covered[i].off < covered[j].off })
	var rest []segment
	pos := int64(0)
	for _, c := range covered {
		if c.off < pos {
			return structurePlan{}, errNotStructured // overlapping members: not what torch writes
		}
		if c.off > pos {
			rest = append(rest, segment{pos, c.off - pos})
		}
		pos = c.off + c.n
	}
	if pos < size {
		rest = append(rest, segment{pos, size - pos})
	}
	plan.streams = append(plan.streams, avStream{name: "archive structure", segments: rest})
	if len(plan.streams) > maxStructureStreams {
		return structurePlan{}, errNotStructured
	}
	return plan, nil
}

// windowed splits every stored stream longer than max into windows of max
// bytes overlapping by windowOverlap, as the full mode does for a large
// file. Deflated streams are left whole (their inflated size is unknown).
func windowed(streams []avStream, max int64) []avStream {
	var out []avStream
	for _, st := range streams {
		total := st.bytes()
		if st.deflated || total <= max {
			out = append(out, st)
			continue
		}
		step := max - windowOverlap(max)
		for start := int64(0); start < total; start += step {
			out = append(out, avStream{name: fmt.Sprintf("%s (window at %d)", st.name, start), segments: slice(st.segments, start, min(max, total-start))})
			if start+max >= total {
				break
			}
		}
	}
	return out
}

// slice returns the segments covering n bytes from offset start of the
// concatenation of segs.
func slice(segs []segment, start, n int64) []segment {
	var out []segment
	for _, g := range segs {
		if n <= 0 {
			break
		}
		if start >= g.n {
			start -= g.n
			continue
		}
		k := min(g.n-start, n)
		out = append(out, segment{g.off + start, k})
		n -= k
		start = 0
	}
	return out
}
