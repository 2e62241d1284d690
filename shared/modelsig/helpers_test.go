package modelsig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/hubsec/trustlayer/shared/modelsig"
	"io"
	"sort"
	"sync/atomic"
	"testing"
)

// memTree is a tree of in-memory files.
func memTree(files map[string][]byte) ([]modelsig.File, *dirOpener) {
	op := &dirOpener{files: map[string][]byte{}}
	var tree []modelsig.File
	for p, b := range files {
		tree = append(tree, modelsig.File{Path: p, Mode: "100644", Size: int64(len(b)), SHA256: sha(b)})
		op.files[p] = b
	}
	sort.Slice(tree, func(i, j int) bool { return tree[i].Path < tree[j].Path })
	return tree, op
}

// dirOpener serves bytes and counts reads (LFS reads apart).
type dirOpener struct {
	files    map[string][]byte
	opens    atomic.Int64
	lfsOpens atomic.Int64
}

func (o *dirOpener) Open(_ context.Context, f modelsig.File, off, n int64) (io.ReadCloser, error) {
	o.opens.Add(1)
	if f.LFS != nil {
		o.lfsOpens.Add(1)
	}
	b, ok := o.files[f.Path]
	if !ok {
		return nil, errors.New("no such file")
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	b = b[off:]
	if n >= 0 && n < int64(len(b)) {
		b = b[:n]
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
