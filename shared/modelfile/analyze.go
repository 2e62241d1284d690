// Package modelfile looks inside model files for pickle imports using ranged
// reads only: pickles, PyTorch zip checkpoints (read the central directory
// and the pickle members, never the tensors), .npy with object dtype, 7z
// archives, nested archives, and safetensors headers.
//
// Anything not positively identified as zip, 7z or .npy is analysed as a
// pickle from offset 0, permissively, as CPython's unpickler parses it;
// safetensors and tar files too, since pickle.load would read them as
// pickles. Names never decide.
// The zip reader trusts the central directory and ignores what torch
// ignores: flag bits, CRCs and local header names.
package modelfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// Kind is what a file or member was recognised as.
type Kind string

// Kinds reported.
const (
	KindPickle      Kind = "pickle"
	KindPyTorchZip  Kind = "pytorch-zip"
	KindZip         Kind = "zip"
	KindNumpy       Kind = "npy"
	Kind7z          Kind = "7z"
	KindSafetensors Kind = "safetensors"
	KindTar         Kind = "tar"        // legacy torch.save checkpoint (pre-0.4 tar)
	KindCompressed  Kind = "compressed" // gzip, bz2, xz, lzma or zlib around a pickle (joblib, pandas)
	KindOther       Kind = "other"
)

// Options bound the work Analyze does. Zero fields take the defaults.
type Options struct {
	MaxDepth    int   // nesting of archives inside archives (default 3)
	MaxMembers  int   // archive members visited in total (default 10000)
	MaxDirBytes int64 // zip central directory size (default 64 MiB)
	MaxInflate  int64 // bytes held in memory to open a compressed nested archive (default 64 MiB)
	MaxHeader   int64 // safetensors and npy header size (default 100 MiB, the Hub's safetensors limit)
	SniffBytes  int   // bytes peeked to recognise a member (default 256)
	// MaxDecompressed caps the bytes a compressed pickle may inflate to
	// (default 4 GiB); MaxRatio caps decompressed/compressed (default 1100,
	// above zlib's 1032 for the most compressible input) once past 1 MiB.
	// Past either the file is error with that reason.
	MaxDecompressed int64
	MaxRatio        int64
	PickleOptions   pickle.Options
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 3
	}
	if o.MaxMembers <= 0 {
		o.MaxMembers = 10000
	}
	if o.MaxDirBytes <= 0 {
		o.MaxDirBytes = 64 << 20
	}
	if o.MaxInflate <= 0 {
		o.MaxInflate = 64 << 20
	}
	if o.MaxHeader <= 0 {
		o.MaxHeader = 100 << 20
	}
	if o.MaxDecompressed <= 0 {
		o.MaxDecompressed = 4 << 30
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = 1100
	}
	if o.SniffBytes <= 0 {
		o.SniffBytes = 256
	}
	return o
}

// Member is one pickle found in the file, with its imports.
type Member struct {
	// Path names the pickle: the file name for a plain pickle or .npy, the
	// archive path for a member ("archive/data.pkl"), joined with "!" for
	// nested archives ("outer.zip!archive/data.pkl").
	Path    string          `json:"path"`
	Kind    Kind            `json:"kind"` // pickle, or npy for an object array
	Imports []pickle.Import `json:"imports"`
	Highest pickle.Safety   `json:"highest"`
	// Findings are dangerous constructs that are not imports (a frame
	// divergence: two loaders would read two different pickles).
	Findings []string `json:"findings,omitempty"`
	// Error is the parse error that ended the scan of this pickle, if any.
	Error string `json:"error,omitempty"`
}

// Report is the result of Analyze.
type Report struct {
	Kind      Kind          `json:"kind"`    // what the file itself is
	Members   []Member      `json:"members"` // every pickle scanned
	Highest   pickle.Safety `json:"highest"` // worst import anywhere
	BytesRead int64         `json:"bytesRead"`
	// Problems are reasons the analysis is incomplete or the file is
	// malformed (a broken pickle, a limit exceeded, an unsupported
	// compression). A report with problems must not be read as clean.
	Problems []string `json:"problems,omitempty"`
}

// Imports returns every import of every member, deduplicated, in order.
func (r Report) Imports() []pickle.Import {
	seen := map[[2]string]bool{}
	var out []pickle.Import
	for _, m := range r.Members {
		for _, i := range m.Imports {
			k := [2]string{i.Module, i.Name}
			if !seen[k] {
				seen[k] = true
				out = append(out, i)
			}
		}
	}
	return out
}

var errMemberLimit = errors.New("member limit exceeded")

// Analyze inspects the size bytes of r, named name (the name only helps to
// pick pickles torch would load by name; detection uses the bytes). It
// returns an error only when r fails or ctx ends; everything wrong with the
// file itself is a problem in the report.
func Analyze(ctx context.Context, r io.ReaderAt, size int64, name string, opts Options) (Report, error) {
	counter := &CountingReaderAt{R: r}
	g := &guardedReaderAt{ctx: ctx, r: counter}
	a := &analyzer{opts: opts.withDefaults(), ctx: ctx}
	a.report.Kind = a.analyze(g, size, name, "", 0)
	a.report.BytesRead = counter.N()
	if err := g.err(); err != nil {
		return a.report, fmt.Errorf("analyze %s: %w", name, err)
	}
	return a.report, nil
}

type analyzer struct {
	opts    Options
	ctx     context.Context
	report  Report
	members int
	seen    Member // the joblib reading, beside which pickle.load's is reported
}

func (a *analyzer) problem(format string, args ...any) {
	a.report.Problems = append(a.report.Problems, fmt.Sprintf(format, args...))
}

// join names a member of the archive at prefix.
func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "!" + name
}

// analyze recognises r and dispatches. prefix is the path of the archive r
// came from ("" at top level); depth counts enclosing archives.
//
// Only zip, 7z and .npy are recognised by magic alone: pickle.load fails on
// their first opcodes. Everything else is also analysed as a pickle from
// offset 0, as pickle.load and torch.load would read it.
func (a *analyzer) analyze(r io.ReaderAt, size int64, name, prefix string, depth int) Kind {
	full := join(prefix, name)
	head, err := readAtMost(r, 0, int64(min(int64(a.opts.SniffBytes), size)))
	if err != nil {
		a.problem("%s: read: %v", full, err)
		return KindOther
	}
	kind := detect(head, size)
	switch kind {
	case KindZip:
		return a.zip(r, size, name, prefix, depth)
	case Kind7z:
		a.sevenZip(r, size, name, prefix, depth)
		return kind
	case KindNumpy:
		a.npy(r, size, full)
		return kind
	}
	if c := compression(head); c != "" && depth == 0 {
		// joblib.load and pandas.read_pickle decompress these before
		// unpickling; pickle.load would not, so the raw bytes are also
		// walked below.
		a.compressed(r, size, full, c)
		kind = KindCompressed
	}
	if looksLikeTar(r, size) {
		// torch.load tries a file as a legacy tar checkpoint first.
		a.tar(r, size, full, depth)
		kind = KindTar
	} else if looksLikeSafetensors(head, size) {
		if err := a.safetensors(r, size, full); err == nil {
			kind = KindSafetensors
		} else {
			a.problem("%s: %v", full, err)
		}
	}
	if a.pickleAt(head, size, func() io.Reader { return io.NewSectionReader(r, 0, size) }, full) && (kind == KindOther || kind == KindCompressed) {
		kind = KindPickle
	}
	return kind
}

// pickleAt scans data as a pickle unless its first bytes already show that
// pickle.load would fail before importing anything (pickle.Probe). open
// gives the whole data, head its first bytes. It reports whether the data
// is a pickle: a scan that ends in the first pickle before any import is
// not one, and is not reported.
func (a *analyzer) pickleAt(head []byte, size int64, open func() io.Reader, full string) bool {
	if !pickle.Probe(head, size) {
		return false
	}
	first := len(a.report.Members)
	ok, arrays := a.scanPickleKindArrays(open(), full, KindPickle, false)
	if ok && arrays > 0 && len(a.report.Members) > first {
		a.seen = a.report.Members[first]
		// A joblib file loaded with plain pickle.load: its raw array
		// bytes are read as opcodes. That reading is analysed too; what it
		// finds counts, its parse error does not (pickle.load of an honest
		// joblib file fails at the first array byte that is no opcode).
		a.scanPickleKindArrays(open(), full+" (read by pickle.load)", KindPickle, true)
	}
	return ok
}

// detect recognises a file from its first bytes: the formats whose magic
// pickle.load rejects at the first opcode. Anything else is KindOther and
// is analysed as a pickle.
func detect(head []byte, size int64) Kind {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return KindZip
	case bytes.HasPrefix(head, []byte("7z\xbc\xaf\x27\x1c")):
		return Kind7z
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		return KindNumpy
	}
	return KindOther
}

// legacyTorchMagic is how torch.save's pre-1.6 format starts: the pickled
// magic number 0x1950a86a20f9469cfc6c (LONG1 of 10 bytes), after PROTO and,
// from protocol 4, a FRAME. Such a file is five pickles (magic, protocol
// version, sys info, the object, storage keys) then raw tensors, which
// torch reads with f.read, not as pickles.
var legacyTorchMagic = []byte("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e")

func isLegacyTorch(head []byte) bool {
	switch {
	case len(head) >= 2 && head[0] == 0x80 && head[1] < 4:
		return bytes.HasPrefix(head[2:], legacyTorchMagic)
	case len(head) >= 11 && head[0] == 0x80 && head[2] == 0x95:
		return bytes.HasPrefix(head[11:], legacyTorchMagic)
	}
	return false
}

// scanPickleKind scans one pickle stream and reports whether it was a
// pickle (see pickle.Result.NotPickle). What was found before a parse error
// counts; the error itself is a problem.
func (a *analyzer) scanPickleKind(r io.Reader, memberPath string, kind Kind) bool {
	ok, _ := a.scanPickleKindArrays(r, memberPath, kind, false)
	return ok
}

// scanPickleKindArrays is scanPickleKind that also returns how many joblib
// arrays the reading skipped. plainLoad reads the stream as pickle.load
// does (arrays as opcodes): only what it finds is reported (a member when
// it finds a suspicious or dangerous import or a finding), never its
// parse error or truncation.
func (a *analyzer) scanPickleKindArrays(r io.Reader, memberPath string, kind Kind, plainLoad bool) (bool, int) {
	opts := a.opts.PickleOptions
	opts.PlainLoad = plainLoad
	br := bufio.NewReader(r)
	if head, _ := br.Peek(11 + len(legacyTorchMagic)); isLegacyTorch(head) {
		opts.MaxPickles = 5
	}
	res := pickle.Scan(br, opts)
	if res.NotPickle() {
		return false, 0
	}
	m := Member{Path: memberPath, Kind: kind, Imports: res.Imports, Highest: res.Highest, Findings: res.Findings}
	if m.Imports == nil {
		m.Imports = []pickle.Import{}
	}
	if plainLoad {
		// Only what the joblib reading did not already report.
		m.Imports, m.Highest, m.Findings = nil, pickle.Innocuous, nil
		for _, imp := range res.Imports {
			if !slices.Contains(a.seen.Imports, imp) {
				m.Imports = append(m.Imports, imp)
				m.Highest = max(m.Highest, imp.Safety)
			}
		}
		for _, f := range res.Findings {
			if !slices.Contains(a.seen.Findings, f) {
				m.Findings = append(m.Findings, f)
				m.Highest = pickle.Dangerous
			}
		}
		if len(m.Imports) > 0 || len(m.Findings) > 0 {
			a.report.Highest = max(a.report.Highest, m.Highest)
			a.report.Members = append(a.report.Members, m)
		}
		return true, 0
	}
	if res.Err != nil && !(res.Pickles > 1 && res.ErrBeforeImport) {
		// A later pickle that breaks before importing anything is bytes
		// after the last pickle: a loader reading it stops there having
		// run nothing of it (as NotPickle says of the first).
		m.Error = res.Err.Error()
		a.problem("%s: %v", memberPath, res.Err)
	}
	if res.Truncated {
		a.problem("%s: import list truncated at %d", memberPath, len(res.Imports))
	}
	if res.Highest > a.report.Highest {
		a.report.Highest = res.Highest
	}
	a.report.Members = append(a.report.Members, m)
	return true, res.JoblibArrays
}

// Finding names what makes the report dangerous, for a verdict's reason:
// the first dangerous import ("posix.system in archive/data.pkl") or the
// first dangerous construct (a frame divergence). It is "" when nothing
// dangerous was found.
func (r Report) Finding() string {
	for _, m := range r.Members {
		for _, f := range m.Findings {
			return f + " in " + m.Path
		}
		for _, i := range m.Imports {
			if i.Safety == pickle.Dangerous {
				return "dangerous import " + i.Module + "." + i.Name + " in " + m.Path
			}
		}
	}
	return ""
}
