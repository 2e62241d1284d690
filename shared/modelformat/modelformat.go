// Package modelformat judges the model formats a hub hosts beside pickles:
// ONNX, Keras (.keras zip and HDF5 .h5), TensorFlow SavedModel, GGUF and
// TorchScript. Each reader parses its format the way the loader does, never
// executes anything, and reads only the structure (ranged reads through an
// io.ReaderAt; tensor data is skipped by offset), bounded in bytes, fields
// and time.
//
// A file is recognised by its content, not its name (an LFS object's key
// carries no name): GGUF and HDF5 by their magic, zips by their central
// directory (.keras: config.json; TorchScript: <dir>/code/), protobufs
// (ONNX, saved_model.pb) by parsing. A name only makes a reader insist: a
// file named .onnx that does not read as ONNX is a problem (the verdict is
// error), whereas an unnamed file that does not read as any format simply
// has none.
package modelformat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Version names these readers' rules; a change of rules changes it so
// cached verdicts are not reused.
const Version = "modelformat/2"

// Severity of a finding.
type Severity int

// Severities, in increasing order.
const (
	None Severity = iota
	// Caution: the file needs something outside its format's plain data
	// (custom operators, TorchScript code) that the user should know of.
	Caution
	// Dangerous: loading the file runs code or reads or writes files
	// outside the model.
	Dangerous
)

func (s Severity) String() string {
	switch s {
	case Caution:
		return "caution"
	case Dangerous:
		return "dangerous"
	}
	return "none"
}

// ParseSeverity reads String's output.
func ParseSeverity(v string) (Severity, bool) {
	switch v {
	case "caution":
		return Caution, true
	case "dangerous":
		return Dangerous, true
	case "none", "":
		return None, true
	}
	return None, false
}

// Engines (Finding.Engine, Report.Format).
const (
	EngineONNX        = "onnx"
	EngineKeras       = "keras"
	EngineSavedModel  = "savedmodel"
	EngineGGUF        = "gguf"
	EngineTorchScript = "torchscript"
)

// Finding is one thing a reader found, with a reason a user can read.
type Finding struct {
	Engine   string   `json:"engine"`
	Severity Severity `json:"-"`
	Reason   string   `json:"reason"`
}

// Report is what Analyze found in one file.
type Report struct {
	// Formats recognised ("onnx", "keras", ...), empty when none.
	Formats  []string
	Findings []Finding
	// Problems: the file is (or is named as) a format but could not be
	// read to the end as its loader reads it, or a limit was reached.
	Problems []string
	// BytesRead counts the bytes requested from the source.
	BytesRead int64
	// Companions are the files the loader reads beside this one, as paths
	// relative to its folder (slash-separated, cleaned; at most
	// MaxCompanions): ONNX external data locations that stay inside the
	// folder, and a SavedModel's variables/variables.index when its graph
	// restores variables. The file alone cannot say whether they exist:
	// the repository's tree does (files.CompanionFindings).
	Companions []string
}

// MaxCompanions bounds Report.Companions.
const MaxCompanions = 64

// VariablesIndex is the companion a SavedModel with variables needs.
const VariablesIndex = "variables/variables.index"

// Highest is the worst finding's severity.
func (r Report) Highest() Severity {
	h := None
	for _, f := range r.Findings {
		if f.Severity > h {
			h = f.Severity
		}
	}
	return h
}

// Options bound the work. Zero fields take the defaults.
type Options struct {
	MaxFields  int   // protobuf fields and GGUF values visited (default 20 million)
	MaxText    int64 // a JSON config, chat template or HDF5 attribute held in memory (default 64 MiB)
	MaxDepth   int   // nesting of ONNX subgraphs, JSON, GGUF arrays (default 64)
	MaxMembers int   // zip members listed (default 100000)
}

func (o Options) withDefaults() Options {
	if o.MaxFields <= 0 {
		o.MaxFields = 20_000_000
	}
	if o.MaxText <= 0 {
		o.MaxText = 64 << 20
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 64
	}
	if o.MaxMembers <= 0 {
		o.MaxMembers = 100000
	}
	return o
}

// errLimit marks a limit reached; errNotFormat a file that is not the
// format a reader looked for.
var (
	errNotFormat = errors.New("not this format")
	errLimit     = errors.New("limit reached")
)

// src is the source every reader reads through: ranged reads, cached in
// one block, counted, stopped by the context.
type src struct {
	ctx  context.Context
	r    io.ReaderAt
	size int64
	opt  Options

	mu     sync.Mutex
	read   int64
	blk    []byte
	blkOff int64
	fields int
}

const blockSize = 64 << 10

// at returns n bytes at off (n <= blockSize is served from the cache).
func (s *src) at(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, fmt.Errorf("the file (%d bytes) ends before the %d bytes at %d its structure declares", s.size, n, off)
	}
	if err := s.ctx.Err(); err != nil {
		return nil, &ioError{err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= blockSize {
		if s.blk != nil && off >= s.blkOff && off+n <= s.blkOff+int64(len(s.blk)) {
			return s.blk[off-s.blkOff : off-s.blkOff+n], nil
		}
		m := int64(blockSize)
		if m > s.size-off {
			m = s.size - off
		}
		b := make([]byte, m)
		s.read += m
		if _, err := s.r.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && off+m == s.size) {
			return nil, &ioError{err}
		}
		s.blk, s.blkOff = b, off
		return b[:n], nil
	}
	b := make([]byte, n)
	s.read += n
	if _, err := s.r.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && off+n == s.size) {
		return nil, &ioError{err}
	}
	return b, nil
}

// exact reads n bytes at off without filling the cache (probes far apart).
func (s *src) exact(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, fmt.Errorf("the file (%d bytes) ends before the %d bytes at %d its structure declares", s.size, n, off)
	}
	if err := s.ctx.Err(); err != nil {
		return nil, &ioError{err}
	}
	b := make([]byte, n)
	s.mu.Lock()
	s.read += n
	s.mu.Unlock()
	if _, err := s.r.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && off+n == s.size) {
		return nil, &ioError{err}
	}
	return b, nil
}

// ReadAt lets the zip reader read through the same counting source.
func (s *src) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > s.size-off {
		n = s.size - off
	}
	b, err := s.at(off, n)
	if err != nil {
		return 0, err
	}
	copy(p, b)
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// field counts one visited field or value against MaxFields.
func (s *src) field() error {
	s.fields++
	if s.fields > s.opt.MaxFields {
		return fmt.Errorf("%w: more than %d fields", errLimit, s.opt.MaxFields)
	}
	if s.fields&0xfff == 0 && s.ctx.Err() != nil {
		return &ioError{s.ctx.Err()}
	}
	return nil
}

// collector gathers findings without repeating one.
type collector struct {
	engine     string
	findings   []Finding
	seen       map[string]bool
	companions []string
}

// companion records a file the loader reads beside this one.
func (c *collector) companion(rel string) {
	if len(c.companions) < MaxCompanions && !slices.Contains(c.companions, rel) {
		c.companions = append(c.companions, rel)
	}
}

func (c *collector) add(sev Severity, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[reason] {
		return
	}
	c.seen[reason] = true
	if len(c.findings) >= 100 {
		return
	}
	c.findings = append(c.findings, Finding{Engine: c.engine, Severity: sev, Reason: reason})
}

// Analyze runs every reader that recognises the file. name is the file's
// base name when known ("" or an LFS oid otherwise). It fails only when
// the source cannot be read (ctx done, I/O error); what the file holds is
// in the Report.
func Analyze(ctx context.Context, r io.ReaderAt, size int64, name string, opt Options) (Report, error) {
	s := &src{ctx: ctx, r: r, size: size, opt: opt.withDefaults()}
	var rep Report
	lname := strings.ToLower(name)
	type reader struct {
		engine string
		named  bool
		run    func(*src, *collector) error
	}
	readers := []reader{
		{EngineGGUF, strings.HasSuffix(lname, ".gguf"), readGGUF},
		{EngineKeras, strings.HasSuffix(lname, ".h5") || strings.HasSuffix(lname, ".hdf5") || strings.HasSuffix(lname, ".keras"), readKeras},
		{EngineTorchScript, false, readTorchScript},
		{EngineONNX, strings.HasSuffix(lname, ".onnx"), readONNX},
		{EngineSavedModel, lname == "saved_model.pb", readSavedModel},
	}
	for _, rd := range readers {
		c := &collector{engine: rd.engine}
		err := rd.run(s, c)
		if cerr := ctx.Err(); cerr != nil {
			return rep, cerr
		}
		var ioErr *ioError
		if errors.As(err, &ioErr) {
			return rep, ioErr.err
		}
		switch {
		case errors.Is(err, errNotFormat):
			if rd.named {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: named as this format but not readable as it", rd.engine))
			}
		case err != nil:
			rep.Formats = append(rep.Formats, rd.engine)
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", rd.engine, err))
		default:
			rep.Formats = append(rep.Formats, rd.engine)
		}
		rep.Findings = append(rep.Findings, c.findings...)
		for _, rel := range c.companions {
			if len(rep.Companions) < MaxCompanions && !slices.Contains(rep.Companions, rel) {
				rep.Companions = append(rep.Companions, rel)
			}
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rep.Findings[i].Severity > rep.Findings[j].Severity })
	s.mu.Lock()
	rep.BytesRead = s.read
	s.mu.Unlock()
	return rep, nil
}

// ioError wraps a failure of the source itself (not of the file's
// content), which makes Analyze fail instead of reporting a problem.
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

// quote shortens v for a reason.
func quote(v string, max int) string {
	if len(v) > max {
		v = v[:max] + "…"
	}
	return fmt.Sprintf("%q", v)
}

// Verdict sums a report up: "dangerous" when a finding is (whatever else
// failed: the loader would already have reached it), else "error" when a
// problem stopped a reader, else "caution", else "ok".
func (r Report) Verdict() string {
	switch h := r.Highest(); {
	case h == Dangerous:
		return "dangerous"
	case len(r.Problems) > 0:
		return "error"
	case h == Caution:
		return "caution"
	}
	return "ok"
}
