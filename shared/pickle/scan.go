package pickle

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Options bound the memory Scan uses. Zero fields take the defaults.
type Options struct {
	// MaxString is the longest string argument kept for STACK_GLOBAL and
	// GLOBAL resolution (default 1024 bytes). Longer ones are skipped and
	// resolve to Unknown.
	MaxString int
	// MaxMemoEntries caps the symbolic memo (default 1<<18 entries). Past it
	// every memo read resolves to Unknown.
	MaxMemoEntries int
	// MaxMemoBytes caps the string bytes kept in the memo (default 4 MiB).
	MaxMemoBytes int
	// MaxImports caps the distinct imports listed (default 10000). Highest
	// still covers every import seen; Result.Truncated reports the cut.
	MaxImports int
	// MaxPickles stops the scan after that many pickles, leaving the rest
	// of the stream unread (0: scan to the end). Legacy torch.save files are
	// five pickles followed by raw tensor bytes.
	MaxPickles int
	// PlainLoad reads the stream as pickle.load reads it: the raw array
	// bytes joblib writes after a NumpyArrayWrapper's BUILD are not
	// skipped, they are read as the opcodes pickle.load would take them
	// for (a joblib file loaded without joblib).
	PlainLoad bool
}

func (o Options) withDefaults() Options {
	if o.MaxString <= 0 {
		o.MaxString = 1024
	}
	if o.MaxMemoEntries <= 0 {
		o.MaxMemoEntries = 1 << 18
	}
	if o.MaxMemoBytes <= 0 {
		o.MaxMemoBytes = 4 << 20
	}
	if o.MaxImports <= 0 {
		o.MaxImports = 10000
	}
	return o
}

// Result is what Scan found.
type Result struct {
	// Imports are the distinct imports in order of first appearance.
	Imports []Import
	// Highest is the worst rating among all imports (Innocuous if none).
	Highest Safety
	// Pickles counts the pickles that started in the stream, including a
	// final broken one.
	Pickles int
	// Bytes is how many bytes of the stream were consumed.
	Bytes int64
	// Findings are dangerous constructs that are not imports, such as a
	// frame divergence; any finding makes Highest Dangerous.
	Findings []string
	// Truncated reports that Imports hit Options.MaxImports.
	Truncated bool
	// JoblibArrays counts the joblib arrays skipped as joblib.load reads
	// them (0 under PlainLoad).
	JoblibArrays int
	// Err is the parse or read error that ended the scan, nil if the stream
	// ended cleanly after a STOP. Imports found before it are still listed.
	Err error
	// ErrBeforeImport reports that Err ended a pickle in which nothing was
	// imported (an EXT1/2/4 lookup aside, see NotPickle): a loader reading
	// that pickle stops at the error having run nothing of it.
	ErrBeforeImport bool
}

// ParseError reports where and why a pickle stream could not be parsed.
type ParseError struct {
	Offset int64  // stream offset of the opcode
	Op     string // opcode name, or a hex byte for an unknown opcode
	Msg    string
	Err    error // underlying error, for example io.ErrUnexpectedEOF
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("pickle: offset %d: %s: %s", e.Offset, e.Op, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrTruncated is wrapped by the ParseError of a stream that ends inside a
// pickle.
var ErrTruncated = io.ErrUnexpectedEOF

// Scan lists the imports of every pickle in r, one after another, without
// executing anything. It reads r to the end or to the first parse error.
func Scan(r io.Reader, opts Options) Result {
	w := newWalker(bufio.NewReaderSize(r, 32<<10), opts.withDefaults(), false, -1)
	w.run()
	return w.result()
}

// Dangerous returns the imports rated Dangerous.
func (r Result) Dangerous() []Import {
	var out []Import
	for _, i := range r.Imports {
		if i.Safety == Dangerous {
			out = append(out, i)
		}
	}
	return out
}

func (w *walker) result() Result {
	res := Result{Imports: w.imports, Highest: w.highest, Pickles: w.pickles, Bytes: w.pos, Truncated: w.truncated, Findings: w.findings,
		JoblibArrays: w.arrays}
	if w.err != nil {
		res.Err = w.err
		res.ErrBeforeImport = w.pickleImports == 0
	}
	return res
}

func (w *walker) run() {
	for {
		if _, err := w.r.Peek(1); err != nil {
			if !errors.Is(err, io.EOF) {
				w.err = &ParseError{Offset: w.pos, Op: "read", Msg: "reading stream", Err: err}
			}
			return
		}
		if w.pickles > 0 {
			// A second Unpickler would start from an empty memo; the same
			// Unpickler calling load() again keeps it. Track both.
			w.fresh = newMemo()
		}
		w.pickles++
		w.hist = [2]sym{unknownSym, unknownSym}
		w.cstack = cstack{} // load() starts from an empty stack, no MARK
		w.pickleImports = 0
		if w.pickles > 1 {
			w.vm.newPickle()
		}
		if err := w.one(); err != nil {
			w.err = err
			return
		}
		if w.strict || (w.opts.MaxPickles > 0 && w.pickles >= w.opts.MaxPickles) {
			return
		}
	}
}
