package modelfile

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// fuzzPickle is a small protocol 4 pickle importing os.system.
var fuzzPickle = []byte("\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x02id\x85R.")

// FuzzAnalyzeZip feeds arbitrary bytes as a zip: Analyze must not panic and
// its reads stay bounded by the member limit times the input size.
func FuzzAnalyzeZip(f *testing.F) {
	stored := buildZip(f, zfile{name: "archive/data.pkl", data: fuzzPickle}, zfile{name: "archive/data/0", data: make([]byte, 300)})
	f.Add(stored)
	f.Add(buildZip(f, zfile{name: "a/data.pkl", data: fuzzPickle, deflate: true}))
	f.Add(buildZip(f, zfile{name: "inner.zip", data: stored}))
	f.Add(toZip64(f, stored))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '|O'}\n" + string(fuzzPickle)))
	// The compressed readers: joblib's ZF, lz4 and xz (whose block header
	// boundDictionary rewrites).
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(fuzzPickle)
	_ = zw.Close()
	f.Add(append([]byte(fmt.Sprintf("ZF%-19s", fmt.Sprintf("%#x", len(fuzzPickle)))), z.Bytes()...))
	var l bytes.Buffer
	lw := lz4.NewWriter(&l)
	_, _ = lw.Write(fuzzPickle)
	_ = lw.Close()
	f.Add(l.Bytes())
	var x bytes.Buffer
	if xw, err := (xz.WriterConfig{DictCap: 64 << 20}).NewWriter(&x); err == nil {
		_, _ = xw.Write(fuzzPickle)
		_ = xw.Close()
		f.Add(x.Bytes())
	}
	opts := Options{MaxMembers: 16, MaxInflate: 1 << 20, MaxHeader: 1 << 16, MaxDepth: 3}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Analyze(context.Background(), bytes.NewReader(data), int64(len(data)), "f.zip", opts)
		if err != nil {
			t.Fatalf("Analyze returned an error for in-memory data: %v", err)
		}
		limit := int64(opts.MaxMembers+8) * (int64(len(data)) + 1<<16)
		if rep.BytesRead > limit {
			t.Fatalf("read %d bytes of %d (limit %d)", rep.BytesRead, len(data), limit)
		}
		for _, m := range rep.Members {
			if m.Highest > rep.Highest {
				t.Fatalf("member %s above report highest", m.Path)
			}
		}
	})
}

// FuzzNpyHeader feeds arbitrary .npy headers: plainDescr must not panic,
// and a header it calls plain must name its descr in a way it decoded.
func FuzzNpyHeader(f *testing.F) {
	for _, s := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
		`{"descr": "|O", "fortran_order": False, "shape": (3,)}`,
		"{'descr': '|' 'O', 'shape': ()}",
		"{'descr': '\\x7cO', 'shape': ()}",
		"{'descr': [('a', '|O')], 'shape': ()}",
		"{'descr': r'<f8', 'shape': (1, 2)}",
		"{'descr': '''<i2''', 'shape': ()}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		if plainDescr(string(header)) && !bytes.Contains(header, []byte("descr")) {
			t.Fatalf("plain descr without a descr key: %q", header)
		}
		npy := append([]byte("\x93NUMPY\x01\x00"), byte(len(header)), byte(len(header)>>8))
		npy = append(append(npy, header...), fuzzPickle...)
		if len(header) < 1<<16 {
			rep, err := Analyze(context.Background(), bytes.NewReader(npy), int64(len(npy)), "a.npy", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !plainDescr(string(header)) && bytes.Contains(header, []byte("descr")) && rep.Highest != pickle.Dangerous {
				t.Fatalf("object payload after %q not found dangerous: %+v", header, rep)
			}
		}
	})
}
