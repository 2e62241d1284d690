package pickle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// walker reads opcodes one by one and keeps only what the import analysis
// needs: the last two values pushed (symbolically) and the memo.
type walker struct {
	r    *bufio.Reader
	opts Options
	// strict is the sniffing mode: reject what Python would reject early
	// (non-numeric INT lines, unquoted STRING, lengths past size) and stop
	// after the first pickle.
	strict bool
	size   int64 // stream size if known (strict mode), else -1
	pos    int64
	fixed  [8]byte
	stack  stackDepth // strict mode only
	cstack cstack     // full scan: where CPython certainly stops (stackcheck.go)
	// pickleImports counts the imports of the current pickle, repeats
	// included, EXT lookups excepted (Result.ErrBeforeImport).
	pickleImports int

	hist    [2]sym // hist[1] is the top of the stack
	memo    *memo  // memo kept across pickles (same Unpickler)
	fresh   *memo  // memo reset per pickle (new Unpickler), nil in the first
	pickles int

	vm    *vm // the value stack (vm.go)
	depth int // nesting of joblib object-array pickles
	// frameEnd is where the current FRAME ends (-1: none).
	frameEnd int64
	// array is what joblib reads after the opcode just applied.
	array  *arrayRead
	arrays int // joblib arrays followed

	seen      map[[2]string]bool
	imports   []Import
	highest   Safety
	truncated bool
	findings  []string
	err       error
}

// finding records a dangerous construct that is not an import.
func (w *walker) finding(msg string) {
	w.highest = Dangerous
	if len(w.findings) < 16 {
		w.findings = append(w.findings, msg)
	}
}

func newWalker(r *bufio.Reader, opts Options, strict bool, size int64) *walker {
	return &walker{r: r, opts: opts, strict: strict, size: size, memo: newMemo(), seen: map[[2]string]bool{}, vm: newVM(), frameEnd: -1}
}

func (w *walker) push(v sym) { w.hist[0], w.hist[1] = w.hist[1], v }

func (w *walker) addImport(module, name string) { w.addImportRated(module, name, Rate(module, name)) }

// addImportRated records an import with a rating decided by its use (a
// call judged by its constant arguments).
func (w *walker) addImportRated(module, name string, s Safety) {
	if imp := (Import{Module: module, Name: name}); !imp.extension() {
		w.pickleImports++
	}
	if s > w.highest {
		w.highest = s
	}
	k := [2]string{module, name}
	if w.seen[k] {
		return
	}
	if len(w.imports) >= w.opts.MaxImports {
		w.truncated = true
		return
	}
	w.seen[k] = true
	w.imports = append(w.imports, Import{Module: module, Name: name, Safety: s})
}

func (w *walker) fail(off int64, op, msg string, err error) error {
	return &ParseError{Offset: off, Op: op, Msg: msg, Err: err}
}

// one walks a single pickle up to and including its STOP.
func (w *walker) one() error {
	for {
		off := w.pos
		code, err := w.r.ReadByte()
		if err != nil {
			return w.fail(off, "opcode", "stream ends before STOP", eofToUnexpected(err))
		}
		w.pos++
		info := ops[code]
		if !info.valid {
			return w.fail(off, fmt.Sprintf("0x%02x", code), "unknown opcode", nil)
		}
		if w.strict && !w.stack.apply(info.name) {
			return w.fail(off, info.name, "stack underflow", nil)
		}
		if !w.strict && w.cstack.fails(info.name) {
			return w.fail(off, info.name, "unpickling stack underflow or no MARK, the unpickler stops here", nil)
		}
		if err := w.step(off, code, info); err != nil {
			return err
		}
		w.checkFrame(off, info)
		if w.array != nil {
			a := w.array
			w.array = nil
			w.arrays++
			if err := w.joblibArray(off, a); err != nil {
				return err
			}
		}
		if info.class == clsStop {
			return nil
		}
	}
}

func (w *walker) step(off int64, code byte, info opInfo) error {
	switch info.arg {
	case argNone:
		return w.apply(off, info, nil, nil)
	case argFixed:
		b := w.fixed[:info.size]
		if _, err := io.ReadFull(w.r, b); err != nil {
			return w.fail(off, info.name, "reading argument", eofToUnexpected(err))
		}
		w.pos += int64(info.size)
		return w.apply(off, info, b, nil)
	case argLine:
		line, long, err := w.readLine()
		if err != nil {
			if w.strict && !plausiblePartialLine(info, line) {
				return w.fail(off, info.name, "implausible line", nil)
			}
			return w.fail(off, info.name, "reading line", err)
		}
		if long {
			line = nil
		}
		return w.apply(off, info, line, nil)
	case argTwoLines:
		mod, longMod, err := w.readLine()
		if w.strict && (longMod || !dottedName(mod) && !(err != nil && len(mod) == 0)) {
			return w.fail(off, info.name, "implausible module", nil)
		}
		if err != nil {
			return w.fail(off, info.name, "reading module", err)
		}
		name, longName, err := w.readLine()
		if w.strict && (longName || !dottedName(name) && !(err != nil && len(name) == 0)) {
			return w.fail(off, info.name, "implausible name", nil)
		}
		if err != nil {
			return w.fail(off, info.name, "reading name", err)
		}
		m, n := string(mod), string(name)
		if !longMod && !importable(m) {
			return w.fail(off, info.name, fmt.Sprintf("module %q cannot be imported, the unpickler stops here", truncate(m)), nil)
		}
		if !longName && !utf8.ValidString(n) {
			// The C unpickler decodes both lines as strict UTF-8 before it
			// imports anything.
			return w.fail(off, info.name, "name is not UTF-8, the unpickler stops here", nil)
		}
		if longMod {
			m = Unknown
		}
		if longName {
			n = Unknown
		}
		if info.class == clsGlobal && !longMod && !longName {
			if !w.vglobal(m, n) {
				w.addImport(m, n)
			}
		} else {
			w.addImport(m, n)
			if info.class == clsGlobal {
				w.vpush(opaqueVal)
			} else {
				w.vstep(info, nil, nil)
			}
		}
		w.push(unknownSym)
		return nil
	default:
		n, err := w.readLength(info.arg)
		if err != nil {
			return w.fail(off, info.name, "reading length", err)
		}
		if w.size >= 0 && n > uint64(w.size-w.pos) {
			return w.fail(off, info.name, "length past end of data", nil)
		}
		data, kept, err := w.readData(n, info.class == clsString)
		if err != nil {
			return w.fail(off, info.name, fmt.Sprintf("reading %d bytes", n), err)
		}
		if !kept {
			data = nil
		}
		return w.apply(off, info, data, &kept)
	}
}

// apply updates the symbolic state for one opcode. arg is the inline
// argument (nil if too long to keep); kept is non-nil for length-prefixed
// data.
func (w *walker) apply(off int64, info opInfo, arg []byte, kept *bool) error {
	switch info.class {
	case clsString:
		if kept != nil && *kept {
			s := string(arg)
			w.push(strSym(s))
			w.vstring(&s)
		} else {
			w.push(unknownSym)
			w.vstring(nil)
		}
	case clsQuoted:
		s, ok := unquoteString(arg)
		if arg != nil && !ok {
			if w.strict {
				return w.fail(off, info.name, "argument must be quoted", nil)
			}
			w.push(unknownSym)
			w.vstring(nil)
			return nil
		}
		if arg == nil {
			w.push(unknownSym)
			w.vstring(nil)
		} else {
			w.push(strSym(s))
			w.vstring(&s)
		}
	case clsRawUnicode:
		if arg == nil {
			w.push(unknownSym)
			w.vstring(nil)
		} else {
			s := rawUnicodeDecode(arg)
			w.push(strSym(s))
			w.vstring(&s)
		}
	case clsNumberLine:
		if w.strict && !numericText(arg) {
			return w.fail(off, info.name, "not a number", nil)
		}
		w.push(unknownSym)
		w.vstep(info, arg, kept)
	case clsGet:
		k, ok := memoKey(info, arg)
		if !ok {
			if w.strict {
				return w.fail(off, info.name, "bad memo key", nil)
			}
			w.push(unknownSym)
			w.vmemoGet(0, false)
			return nil
		}
		w.vmemoGet(k, true)
		v := w.memo.get(k)
		if w.fresh != nil {
			v = union(v, w.fresh.get(k))
		}
		w.push(v)
	case clsPut:
		k, ok := memoKey(info, arg)
		if !ok {
			if w.strict {
				return w.fail(off, info.name, "bad memo key", nil)
			}
			return nil
		}
		w.memo.put(k, w.hist[1], &w.opts)
		if w.fresh != nil {
			w.fresh.put(k, w.hist[1], &w.opts)
		}
		w.vmemoPut(k)
	case clsMemoize:
		w.vmemoize()
		w.memo.memoize(w.hist[1], &w.opts)
		if w.fresh != nil {
			w.fresh.memoize(w.hist[1], &w.opts)
		}
	case clsFrame:
		// Framing only groups opcodes; it never changes the stack.
		if w.frameEnd > off {
			w.finding(fmt.Sprintf("frame divergence: FRAME at offset %d inside the frame ending at %d (loaders disagree on what follows)", off, w.frameEnd))
		}
		var n uint64
		for i := len(arg) - 1; i >= 0; i-- {
			n = n<<8 | uint64(arg[i])
		}
		if n > math.MaxInt64/2 {
			n = math.MaxInt64 / 2
		}
		w.frameEnd = w.pos + int64(n)
	case clsProto:
		if arg[0] > HighestProtocol {
			return w.fail(off, info.name, fmt.Sprintf("unsupported protocol %d", arg[0]), nil)
		}
	case clsStackGlobal:
		if m := w.hist[0]; !m.unknown && len(m.vals) > 0 && !slices.ContainsFunc(m.vals, importable) {
			return w.fail(off, info.name, fmt.Sprintf("module %q cannot be imported, the unpickler stops here", truncate(m.vals[0])), nil)
		}
		name := w.vpop(false)
		mod := w.vpop(false)
		if notStr(mod) || notStr(name) {
			// load_stack_global: "STACK_GLOBAL requires str", before any
			// import (raw bytes read as opcodes, a type confusion).
			return w.fail(off, info.name, "an operand is not a str, the unpickler stops here", nil)
		}
		ms, ns := w.hist[0].candidates(), w.hist[1].candidates()
		exact := len(ms) == 1 && len(ns) == 1 && ms[0] != Unknown && ns[0] != Unknown &&
			mod.kind == vStr && name.kind == vStr && mod.s == ms[0] && name.s == ns[0]
		if !exact || !w.vglobal(ms[0], ns[0]) {
			for _, m := range ms {
				for _, n := range ns {
					w.addImport(m, n)
				}
			}
			if !exact {
				w.vpush(opaqueVal)
			}
		}
		w.push(unknownSym)
	case clsExt:
		// The copyreg extension registry is empty in a stock interpreter;
		// a code means the loading program registered its own globals.
		var code uint64
		for i := len(arg) - 1; i >= 0; i-- {
			code = code<<8 | uint64(arg[i])
		}
		w.addImport("copyreg", "_extension_registry["+strconv.FormatUint(code, 10)+"]")
		w.push(unknownSym)
		w.vpush(opaqueVal)
	case clsStop:
		w.vstep(info, arg, kept)
	default:
		w.push(unknownSym)
		w.vstep(info, arg, kept)
	}
	return nil
}

// vmemoize stores the top of the value stack as MEMOIZE does: at
// len(memo), which is the count of this pickle's entries for a new
// Unpickler and of every entry for the same one.
func (w *walker) vmemoize() {
	if w.vm.lost {
		return
	}
	n, total := w.vm.genCount, len(w.vm.memo)
	w.vmemoPut(uint64(n))
	if total != n && !w.vm.lost {
		w.vmemoPut(uint64(total))
	}
}

// checkFrame flags an opcode that starts inside a frame and ends past it.
// No pickler writes one; the C unpickler reading a file without peek (as
// torch does) drops the buffered part and reads the argument afresh after
// the frame, pickle.loads reads straight through, and the pure-Python
// unpickler fails: three loaders, three different pickles.
func (w *walker) checkFrame(off int64, info opInfo) {
	if w.frameEnd < 0 || off >= w.frameEnd {
		return
	}
	if w.pos > w.frameEnd && info.class != clsFrame {
		w.finding(fmt.Sprintf("frame divergence: %s at offset %d crosses the frame end at %d (loaders disagree on what follows)", info.name, off, w.frameEnd))
	}
}

func memoKey(info opInfo, arg []byte) (uint64, bool) {
	if info.arg == argFixed {
		var k uint64
		for i := len(arg) - 1; i >= 0; i-- {
			k = k<<8 | uint64(arg[i])
		}
		return k, true
	}
	if arg == nil {
		return 0, false
	}
	return pyInt(arg)
}

// pyInt parses a GET or PUT argument as CPython does (PyLong_FromString,
// base 10): surrounding whitespace, a sign and single underscores between
// digits are accepted, so "1_0" is 10 and "\x0c1" is 1. Negative keys and
// keys past 64 bits are refused, as the unpickler refuses them.
func pyInt(b []byte) (uint64, bool) {
	b = bytes.TrimFunc(b, func(r rune) bool { return r == ' ' || r >= '\t' && r <= '\r' })
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '_' || b[len(b)-1] == '_' || bytes.Contains(b, []byte("__")) {
		return 0, false
	}
	var k uint64
	for _, c := range b {
		if c == '_' {
			continue
		}
		if c < '0' || c > '9' || k > (math.MaxUint64-9)/10 {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	if neg && k != 0 {
		return 0, false
	}
	return k, true
}

// readLine reads a newline-terminated line, keeping at most MaxString bytes.
// long reports that the line was longer and was skipped.
func (w *walker) readLine() (line []byte, long bool, err error) {
	var buf []byte
	for {
		chunk, err := w.r.ReadSlice('\n')
		w.pos += int64(len(chunk))
		if len(buf)+len(chunk) <= w.opts.MaxString+1 {
			buf = append(buf, chunk...)
		} else {
			long = true
		}
		if err == nil {
			if long {
				return nil, true, nil
			}
			return buf[:len(buf)-1], false, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if long {
			buf = nil
		}
		return buf, long, eofToUnexpected(err)
	}
}

func (w *walker) readLength(kind argKind) (uint64, error) {
	var n int
	switch kind {
	case argLen1:
		n = 1
	case argLen4, argLen4s:
		n = 4
	default:
		n = 8
	}
	b := w.fixed[:n]
	if _, err := io.ReadFull(w.r, b); err != nil {
		return 0, eofToUnexpected(err)
	}
	w.pos += int64(n)
	switch kind {
	case argLen1:
		return uint64(b[0]), nil
	case argLen4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	case argLen4s:
		v := int32(binary.LittleEndian.Uint32(b))
		if v < 0 {
			return 0, errors.New("negative length")
		}
		return uint64(v), nil
	default:
		v := binary.LittleEndian.Uint64(b)
		if v > math.MaxInt64 {
			return 0, errors.New("length too large")
		}
		return v, nil
	}
}

// readData reads n bytes if n fits MaxString and want is set, otherwise it
// skips them without buffering.
func (w *walker) readData(n uint64, want bool) ([]byte, bool, error) {
	if want && n <= uint64(w.opts.MaxString) {
		b := make([]byte, n)
		got, err := io.ReadFull(w.r, b)
		w.pos += int64(got)
		if err != nil {
			return nil, false, eofToUnexpected(err)
		}
		return b, true, nil
	}
	for n > 0 {
		step := n
		if step > 1<<30 {
			step = 1 << 30
		}
		got, err := w.r.Discard(int(step))
		w.pos += int64(got)
		n -= uint64(got)
		if err != nil {
			return nil, false, eofToUnexpected(err)
		}
	}
	return nil, false, nil
}

func eofToUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// importable reports whether the unpickler's __import__ could load a module
// of that name: UTF-8 (the C unpickler decodes GLOBAL lines strictly) and
// non-empty dot-separated segments of identifier characters. A name with
// spaces or punctuation, like the "mport torch" of a Python source file
// read as INST, fails to import, and the load stops there.
func importable(m string) bool {
	if !utf8.ValidString(m) {
		return false
	}
	for _, seg := range strings.Split(m, ".") {
		if seg == "" {
			return false
		}
		for _, c := range []byte(seg) {
			if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// dottedName reports whether b (possibly cut short) could name a Python
// module or attribute path: identifier characters and dots.
func dottedName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
			return false
		}
	}
	return true
}

// plausiblePartialLine reports whether a line cut off by the end of a sniffed
// prefix could still be a valid argument.
func plausiblePartialLine(info opInfo, partial []byte) bool {
	switch info.class {
	case clsRawUnicode:
		return true
	case clsQuoted:
		return len(partial) == 0 || partial[0] == '\'' || partial[0] == '"'
	case clsNumberLine, clsGet, clsPut:
		return len(partial) < 64 && (len(partial) == 0 || numericText(partial))
	default: // PERSID
		for _, c := range partial {
			if c < 0x20 || c == 0x7f {
				return false
			}
		}
		return true
	}
}

// numericText reports whether b could be an argument of INT, LONG or FLOAT
// (digits, sign, exponent, inf/nan, a trailing L for protocol 0 longs).
func numericText(b []byte) bool {
	if len(trimSpace(b)) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == '_', c == ' ', c >= '\t' && c <= '\r':
		case c == 'e', c == 'E', c == 'L', c == 'x', c == 'X', c == 'o', c == 'O', c == 'b', c == 'B':
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == 'i', c == 'n', c == 't', c == 'y', c == 'I', c == 'N', c == 'T', c == 'Y':
		default:
			return false
		}
	}
	return true
}
