package pickle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Probe reports whether data starting with prefix (size bytes in all;
// size < 0 if unknown) could make pickle.load call anything. It walks
// prefix permissively, as CPython's unpickler parses, and answers false
// only when the first pickle fails to parse inside prefix before a single
// import: the unpickler would stop there with nothing it could call. Every
// other answer, a clean STOP or a prefix that ends mid-opcode included,
// means the whole stream must be scanned.
func Probe(prefix []byte, size int64) bool {
	w := newWalker(bufio.NewReaderSize(bytes.NewReader(prefix), 16), Options{}.withDefaults(), false, size)
	w.opts.MaxPickles = 1
	w.run()
	if w.err == nil || len(w.imports) > 0 || w.truncated {
		return true
	}
	var pe *ParseError
	return errors.As(w.err, &pe) && errors.Is(pe.Err, io.ErrUnexpectedEOF)
}

// NotPickle reports that the scan ended in a parse error inside the first
// pickle before any import: pickle.load fails there without calling
// anything, so the data is not a pickle that can run code. An EXT1/2/4
// lookup does not count as an import here: the extension registry of a
// stock interpreter is empty, so its pickle.load already stops at the
// first EXT ("unregistered extension code"), and a broken stream that
// reached one is random bytes read as opcodes, not a pickle. (A stream
// that parses to its STOP still reports the lookup as Suspicious.)
func (r Result) NotPickle() bool {
	return r.Err != nil && r.Pickles <= 1 && r.ErrBeforeImport && !r.Truncated
}

// extension reports whether the import is an EXT1/2/4 registry lookup.
func (i Import) extension() bool {
	return i.Module == "copyreg" && strings.HasPrefix(i.Name, "_extension_registry[")
}
