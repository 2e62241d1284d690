package pickle

import (
	"fmt"
	"io"
)

// joblibArray follows what joblib's NumpyUnpickler reads after the BUILD
// of a NumpyArrayWrapper (joblib/numpy_pickle.py read_array): for an
// object dtype a whole nested pickle (read with pickle.load), else an
// optional pad-length byte and its padding, then the raw array bytes,
// which are skipped unread. joblib reads them from the file itself, after
// the frame the BUILD came in: bytes left in that frame mean the pickle
// and the array overlap, which no joblib writes (it commits the frame
// first), so that is a frame divergence.
func (w *walker) joblibArray(off int64, a *arrayRead) error {
	if a.bad != "" {
		return w.fail(off, "BUILD", a.bad, nil)
	}
	if w.frameEnd > w.pos {
		w.finding(fmt.Sprintf("frame divergence: joblib array data at offset %d starts inside the frame ending at %d", w.pos, w.frameEnd))
	}
	w.frameEnd = -1
	if a.object {
		return w.nested()
	}
	if a.padded {
		b, err := w.r.ReadByte()
		if err != nil {
			return w.fail(w.pos, "array", "reading the alignment byte", eofToUnexpected(err))
		}
		w.pos++
		if _, _, err := w.readData(uint64(b), false); err != nil {
			return w.fail(w.pos, "array", "reading the alignment padding", err)
		}
	}
	if w.size >= 0 && a.bytes > uint64(w.size-w.pos) {
		return w.fail(w.pos, "array", fmt.Sprintf("array of %d bytes past end of data", a.bytes), io.ErrUnexpectedEOF)
	}
	start := w.pos
	if _, _, err := w.readData(a.bytes, false); err != nil {
		return w.fail(start, "array", fmt.Sprintf("reading %d array bytes", a.bytes), err)
	}
	return nil
}

// nested walks the pickle that joblib loads for an object array, with its
// own Unpickler (fresh memo and stack), then resumes the outer pickle.
func (w *walker) nested() error {
	if w.depth >= 8 {
		return w.fail(w.pos, "array", "object arrays nested too deep", nil)
	}
	outerVM, outerHist, outerMemo, outerFresh := w.vm, w.hist, w.memo, w.fresh
	w.vm, w.hist, w.memo, w.fresh = newVM(), [2]sym{unknownSym, unknownSym}, newMemo(), nil
	w.depth++
	err := w.one()
	w.depth--
	w.vm, w.hist, w.memo, w.fresh = outerVM, outerHist, outerMemo, outerFresh
	w.frameEnd = -1
	return err
}
