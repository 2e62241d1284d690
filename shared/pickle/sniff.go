package pickle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// LooksLikePickle reports whether prefix, the first bytes of some data, is
// the start of a pickle. Pickles have no magic number: protocol 2+ streams
// start with PROTO (0x80, version), protocol 0 and 1 with any opcode. So the
// prefix is walked as opcodes: it looks like a pickle if every opcode in it
// is valid and well formed up to a STOP or the end of the prefix. Random or
// tensor bytes fail within a few opcodes. A prefix of 256 bytes or more
// gives a reliable answer.
func LooksLikePickle(prefix []byte) bool { return Sniff(prefix, -1) }

// Sniff is LooksLikePickle for data of known total size: a length-prefixed
// argument reaching past size rules the data out. size < 0 means unknown.
func Sniff(prefix []byte, size int64) bool {
	if len(prefix) == 0 || !ops[prefix[0]].valid || prefix[0] == '.' {
		return false
	}
	if prefix[0] == 0x80 && len(prefix) > 1 && prefix[1] > HighestProtocol {
		return false
	}
	opts := Options{}.withDefaults()
	w := newWalker(bufio.NewReaderSize(bytes.NewReader(prefix), 16), opts, true, size)
	w.run()
	if w.err == nil {
		return true // reached STOP
	}
	var pe *ParseError
	return errors.As(w.err, &pe) && errors.Is(pe.Err, io.ErrUnexpectedEOF)
}
