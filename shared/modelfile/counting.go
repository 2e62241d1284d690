package modelfile

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// CountingReaderAt counts every byte requested from R, whether or not the
// read succeeds, so a caller can check how much of an object was fetched.
type CountingReaderAt struct {
	R io.ReaderAt
	n atomic.Int64
}

// ReadAt reads from R and adds len(p) to the count.
func (c *CountingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.n.Add(int64(len(p)))
	return c.R.ReadAt(p, off)
}

// N returns the bytes requested so far.
func (c *CountingReaderAt) N() int64 { return c.n.Load() }

// guardedReaderAt stops reading once ctx is done and remembers the first
// read failure that is not an end of data, so Analyze can tell a broken
// source (an error) from a lying archive (a problem).
type guardedReaderAt struct {
	ctx  context.Context
	r    io.ReaderAt
	mu   sync.Mutex
	fail error
}

func (g *guardedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := g.ctx.Err(); err != nil {
		g.setFail(err)
		return 0, err
	}
	n, err := g.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		g.setFail(err)
	}
	return n, err
}

func (g *guardedReaderAt) setFail(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail == nil {
		g.fail = err
	}
}

func (g *guardedReaderAt) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fail
}

// readAtMost reads up to n bytes at off, returning fewer at the end of data.
func readAtMost(r io.ReaderAt, off, n int64) ([]byte, error) {
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, off)
	if got == len(buf) {
		return buf, nil
	}
	if errors.Is(err, io.EOF) {
		return buf[:got], nil
	}
	return buf[:got], err
}
