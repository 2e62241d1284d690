package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hubsec/trustlayer/shared/scan"
)

// rangeReaderAt reads an object with ranged GETs. Small reads are rounded
// up to one block and a few blocks are kept, because the pickle analyser
// and the zip reader make many small reads close together (headers, then
// the bytes after them); large reads go straight through. Memory is bounded
// by blockSize*maxBlocks. Fetched counts the bytes requested from S3.
type rangeReaderAt struct {
	ctx                  context.Context
	objects              scan.Objects
	bucket, key, version string
	size                 int64

	mu      sync.Mutex
	blocks  map[int64][]byte
	order   []int64
	fetched int64
}

const (
	blockSize = 8 << 10
	maxBlocks = 32
)

func newRangeReaderAt(ctx context.Context, o scan.Objects, ref scan.ObjectRef, size int64) *rangeReaderAt {
	return &rangeReaderAt{ctx: ctx, objects: o, bucket: ref.Bucket, key: ref.Key, version: ref.VersionID, size: size, blocks: map[int64][]byte{}}
}

// Fetched returns the bytes requested from S3 so far.
func (r *rangeReaderAt) Fetched() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetched
}

// ReadAt implements io.ReaderAt.
func (r *rangeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := p
	if rem := r.size - off; int64(len(want)) > rem {
		want = want[:rem]
	}
	var n int
	if len(want) > blockSize {
		m, err := r.fetch(off, int64(len(want)), want)
		n = m
		if err != nil {
			return n, err
		}
	} else {
		for n < len(want) {
			base := (off + int64(n)) / blockSize * blockSize
			b, err := r.block(base)
			if err != nil {
				return n, err
			}
			n += copy(want[n:], b[off+int64(n)-base:])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *rangeReaderAt) block(base int64) ([]byte, error) {
	r.mu.Lock()
	b, ok := r.blocks[base]
	r.mu.Unlock()
	if ok {
		return b, nil
	}
	size := min(int64(blockSize), r.size-base)
	b = make([]byte, size)
	if _, err := r.fetch(base, size, b); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) >= maxBlocks {
		delete(r.blocks, r.order[0])
		r.order = r.order[1:]
	}
	r.blocks[base] = b
	r.order = append(r.order, base)
	return b, nil
}

func (r *rangeReaderAt) fetch(off, n int64, dst []byte) (int, error) {
	r.mu.Lock()
	r.fetched += n
	r.mu.Unlock()
	body, err := r.objects.Range(r.ctx, r.bucket, r.key, r.version, off, n)
	if err != nil {
		return 0, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	defer body.Close()
	m, err := io.ReadFull(body, dst[:n])
	if err != nil {
		return m, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
	}
	return m, nil
}
