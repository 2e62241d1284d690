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
	KindTar         Kind = "tar" // legacy torch.save checkpoint (pre-0.4 tar)
	KindOther       Kind = "other"
)

// Options bound the work Analyze does. Zero fields take the defaults.
type Options struct {
	MaxDepth      int   // nesting of archives inside archives (default 3)
	MaxMembers    int   // archive members visited in total (default 10000)
	MaxDirBytes   int64 // zip central directory size (default 64 MiB)
	MaxInflate    int64 // bytes held in memory to open a compressed nested archive (default 64 MiB)
	MaxHeader     int64 // safetensors and npy header size (default 100 MiB, the Hub's safetensors limit)
	SniffBytes    int   // bytes peeked to recognise a member (default 256)
	PickleOptions pickle.Options
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
	if a.pickleAt(head, size, func() io.Reader { return io.NewSectionReader(r, 0, size) }, full) && kind == KindOther {
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
	return a.scanPickleKind(open(), full, KindPickle)
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
// magic number 0x1950a86a20f9469cfc6c. Such a file is five pickles (magic,
// protocol version, sys info, the object, storage keys) then raw tensors.
var legacyTorchMagic = []byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e")

// scanPickleKind scans one pickle stream and reports whether it was a
// pickle (see pickle.Result.NotPickle). What was found before a parse error
// counts; the error itself is a problem.
func (a *analyzer) scanPickleKind(r io.Reader, memberPath string, kind Kind) bool {
	opts := a.opts.PickleOptions
	br := bufio.NewReader(r)
	if head, _ := br.Peek(len(legacyTorchMagic)); bytes.Equal(head, legacyTorchMagic) {
		opts.MaxPickles = 5
	}
	res := pickle.Scan(br, opts)
	if res.NotPickle() {
		return false
	}
	m := Member{Path: memberPath, Kind: kind, Imports: res.Imports, Highest: res.Highest}
	if m.Imports == nil {
		m.Imports = []pickle.Import{}
	}
	if res.Err != nil {
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
	return true
}
