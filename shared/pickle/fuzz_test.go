package pickle

import (
	"bytes"
	"testing"
)

var fuzzSeeds = [][]byte{
	[]byte("N."),
	[]byte("cos\nsystem\n(S'id'\ntR."),
	[]byte("\x80\x04\x8c\x02os\x94\x8c\x06system\x94" + "00h\x00h\x01\x93\x8c\x02id\x85R."),
	[]byte("\x80\x04\x95\x30\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtinsq\x05Vexec\np7\n00j\x05\x00\x00\x00g7\n\x93\x8c\x011\x85R."),
	[]byte("\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01ccollections\nOrderedDict\nq\x02)Rq\x03u."),
	[]byte("\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00abc\x97\x98."),
	[]byte("(S'o\\x73'\nV\\u0073ystem\n\x93\x82\x01\x83\x01\x02\x84\x01\x02\x03\x04."),
	[]byte("\x80\x02\x8a\x05\x00\x00\x00\x00\x01\x8b\x01\x00\x00\x00\x01." + "N."),
	[]byte("T\x03\x00\x00\x00abcU\x01xB\x02\x00\x00\x00hiC\x01z\x8e\x01\x00\x00\x00\x00\x00\x00\x00q."),
}

// FuzzScan checks Scan never panics, stays within its memo caps and that
// Sniff agrees with itself on any input.
func FuzzScan(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{MaxString: 64, MaxMemoEntries: 64, MaxMemoBytes: 1024, MaxImports: 32}
		res := Scan(bytes.NewReader(data), opts)
		if res.Bytes > int64(len(data)) {
			t.Fatalf("consumed %d bytes of %d", res.Bytes, len(data))
		}
		if len(res.Imports) > 32 {
			t.Fatalf("%d imports listed past the cap", len(res.Imports))
		}
		for _, imp := range res.Imports {
			if imp.Safety > res.Highest {
				t.Fatalf("import %v above highest %v", imp, res.Highest)
			}
			if len(imp.Module) > 64 || len(imp.Name) > 64 {
				t.Fatalf("import longer than MaxString: %v", imp)
			}
		}
		// Probe must never dismiss a prefix whose full scan finds imports.
		full := Scan(bytes.NewReader(data), Options{})
		for _, n := range []int{16, 256} {
			if n < len(data) && !Probe(data[:n], int64(len(data))) && (len(full.Imports) > 0 || !full.NotPickle()) {
				t.Fatalf("Probe dismissed %q, whose scan imports %v (err %v)", data[:n], full.Imports, full.Err)
			}
		}
		_ = LooksLikePickle(data)
		_ = Sniff(data, int64(len(data)))
	})
}
