package pickle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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
// anything, so the data is not a pickle that can run code.
func (r Result) NotPickle() bool {
	return r.Err != nil && r.Pickles <= 1 && len(r.Imports) == 0 && !r.Truncated
}
