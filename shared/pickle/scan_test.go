package pickle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestScanEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		want    []Import
		highest Safety
		wantErr bool
	}{
		{name: "empty", data: nil},
		{name: "none", data: []byte("N.")},
		{name: "unknown opcode", data: []byte("\x80\x04\xff"), wantErr: true},
		{name: "protocol 6", data: []byte("\x80\x06N."), wantErr: true},
		{name: "global at eof", data: []byte("cos\nsys"), wantErr: true},
		{name: "global", data: []byte("cos\nsystem\n."),
			want: []Import{{"os", "system", Dangerous}}, highest: Dangerous},
		// STACK_GLOBAL on an empty stack: load_stack_global's PDATA_POP
		// raises "unpickling stack underflow" before any import.
		{name: "stack global on an empty stack", data: []byte("\x80\x04\x93."), wantErr: true},
		{name: "stack global with one operand", data: []byte("\x80\x04\x8c\x02os\x93."), wantErr: true},
		// Under a MARK the C unpickler's checks differ by opcode: nothing
		// is decided there, the operands are unknown.
		{name: "stack global under a mark", data: []byte("\x80\x04(\x93."),
			want: []Import{{Unknown, Unknown, Dangerous}}, highest: Dangerous},
		// Opcodes that look for a MARK when none is set stop the unpickler.
		{name: "setitems without a mark", data: []byte("\x80\x04}u\x8c\x02os\x8c\x06system\x93."), wantErr: true},
		// INST: pickle._Unpickler imports before it looks for the MARK.
		{name: "inst without a mark", data: []byte("ios\nsystem\n."),
			want: []Import{{"os", "system", Dangerous}}, highest: Dangerous},
		{name: "bytes are not names", data: []byte("\x80\x04C\x02osC\x06system\x93."),
			want: []Import{{Unknown, Unknown, Dangerous}}, highest: Dangerous},
		// load_stack_global refuses operands that are not exact str
		// before importing: an int, None, a tuple (raw array bytes read as
		// opcodes, picklescan's type-confusion sample).
		{name: "stack global of an int", data: []byte("\x80\x04J*\x00\x00\x00\x8c\x02os\x93."), wantErr: true},
		{name: "stack global of None", data: []byte("\x80\x04\x8c\x02osN\x93."), wantErr: true},
		{name: "stack global of a tuple", data: []byte("\x80\x04)\x8c\x06system\x93."), wantErr: true},
		{name: "stack global after a call", data: []byte("\x80\x04cbuiltins\nstr\n\x8c\x02os\x85R\x8c\x06system\x93."),
			want: []Import{{"builtins", "str", Innocuous}, {Unknown, "system", Dangerous}}, highest: Dangerous},
		{name: "frame between names", data: []byte("\x80\x04\x8c\x0bcollections\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x0bOrderedDict\x93."),
			want: []Import{{"collections", "OrderedDict", Innocuous}}},
		{name: "negative BINSTRING length", data: []byte("T\xff\xff\xff\xff"), wantErr: true},
		{name: "ext code", data: []byte("\x80\x02\x82\x07."),
			want: []Import{{"copyreg", "_extension_registry[7]", Suspicious}}, highest: Suspicious},
		{name: "unicode escape", data: []byte("V\\u006fs\np0\nVsystem\n\x93."),
			want: []Import{{"os", "system", Dangerous}}, highest: Dangerous},
		{name: "long name is unknown", data: append(append([]byte("\x80\x04X\x00\x08\x00\x00"), bytes.Repeat([]byte("a"), 2048)...), "\x8c\x01x\x93."...),
			want: []Import{{Unknown, "x", Dangerous}}, highest: Dangerous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Scan(bytes.NewReader(tt.data), Options{})
			if (res.Err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", res.Err, tt.wantErr)
			}
			if len(res.Imports) != len(tt.want) {
				t.Fatalf("imports = %v, want %v", res.Imports, tt.want)
			}
			for i := range tt.want {
				if res.Imports[i] != tt.want[i] {
					t.Errorf("import %d = %v, want %v", i, res.Imports[i], tt.want[i])
				}
			}
			if res.Highest != tt.highest {
				t.Errorf("highest = %v, want %v", res.Highest, tt.highest)
			}
		})
	}
}

func TestScanErrorIsParseError(t *testing.T) {
	res := Scan(bytes.NewReader([]byte("\x80\x04cos\nsystem\n")), Options{})
	var pe *ParseError
	if !errors.As(res.Err, &pe) || !errors.Is(res.Err, ErrTruncated) {
		t.Fatalf("err = %v, want a ParseError wrapping ErrTruncated", res.Err)
	}
	if res.Highest != Dangerous {
		t.Errorf("highest = %v, want dangerous: imports before the error count", res.Highest)
	}
}

// zeroReader yields n zero bytes without holding them.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// TestScanSkipsLargePayloads streams a 512 MiB BINBYTES8 and checks the
// scanner neither buffers it nor misses the import after it.
func TestScanSkipsLargePayloads(t *testing.T) {
	const size = 512 << 20
	head := []byte("\x80\x05\x8e")
	head = binary.LittleEndian.AppendUint64(head, size)
	tail := []byte("0cos\nsystem\n.")
	r := io.MultiReader(bytes.NewReader(head), &zeroReader{n: size}, bytes.NewReader(tail))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := Scan(r, Options{})
	runtime.ReadMemStats(&after)

	if res.Err != nil || res.Highest != Dangerous {
		t.Fatalf("got err %v highest %v, want nil and dangerous", res.Err, res.Highest)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("allocated %d bytes scanning a %d byte payload, want under 4 MiB", grew, size)
	}
}

// TestScanMemoCaps checks memo and import caps make reads unknown
// (dangerous), never silently innocuous.
func TestScanMemoCaps(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("\x80\x04")
	for i := 0; i < 100; i++ {
		b.WriteString("\x8c\x02os\x94")
	}
	b.WriteString("\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94h\x64h\x65\x93.")
	res := Scan(bytes.NewReader(b.Bytes()), Options{MaxMemoEntries: 50})
	if res.Highest != Dangerous {
		t.Errorf("highest = %v with a full memo, want dangerous", res.Highest)
	}
	res = Scan(bytes.NewReader(b.Bytes()), Options{})
	if res.Highest != Innocuous {
		t.Errorf("highest = %v (%v) without caps, want innocuous", res.Highest, res.Imports)
	}
}

func TestScanImportCap(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 20; i++ {
		b.WriteString("cpkg\nname" + string(rune('a'+i)) + "\n0")
	}
	b.WriteString("cos\nsystem\n.")
	res := Scan(bytes.NewReader(b.Bytes()), Options{MaxImports: 5})
	if len(res.Imports) != 5 || !res.Truncated || res.Highest != Dangerous {
		t.Errorf("got %d imports truncated=%v highest=%v, want 5, true, dangerous", len(res.Imports), res.Truncated, res.Highest)
	}
}

func TestLooksLikePickle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 256)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	int16s := make([]byte, 256) // an int16 tensor whose first value is 128: 80 00 ...
	for i := 0; i < len(int16s); i += 2 {
		binary.LittleEndian.PutUint16(int16s[i:], uint16(128+i))
	}
	tests := []struct {
		name   string
		prefix []byte
		want   bool
	}{
		{"proto 4", []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94."), true},
		{"proto 2 truncated", []byte("\x80\x02}q\x00(X\x03\x00\x00\x00"), true},
		{"protocol 0 dict", []byte("(dp0\nVa\np1\nI1\ns."), true},
		{"protocol 0 global", []byte("cos\nsystem\n(S'id'\ntR."), true},
		{"empty list", []byte("]."), true},
		{"zeros", make([]byte, 256), false},
		{"random", random, false},
		{"int16 tensor", int16s, false},
		{"proto 9", []byte("\x80\x09N."), false},
		{"stop only", []byte("."), false},
		{"text", []byte("hello world, this is a README file\n"), false},
		{"json", []byte(`{"a": 1}`), false},
		{"INT not a number", []byte("Ihello\n."), false},
		{"unquoted STRING", []byte("Sabc\n."), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := LooksLikePickle(tt.prefix); got != tt.want {
			t.Errorf("%s: LooksLikePickle = %v, want %v", tt.name, got, tt.want)
		}
	}
	// A length prefix past the end of the data rules it out.
	if Sniff([]byte("X\x00\x00\x10\x00abc"), 100) {
		t.Error("Sniff accepted a BINUNICODE longer than the data")
	}
}

// TestLooksLikePickleRandomBlobs estimates the false-positive rate on random
// tensor-like blobs: each false positive costs a scan of a data member.
func TestLooksLikePickleRandomBlobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	hits := 0
	const n = 20000
	buf := make([]byte, 256)
	for i := 0; i < n; i++ {
		for j := range buf {
			buf[j] = byte(rng.UintN(256))
		}
		if Sniff(buf, 50<<20) {
			hits++
		}
	}
	if hits > n/200 {
		t.Errorf("%d of %d random blobs look like pickles, want under 0.5%%", hits, n)
	}
	t.Logf("%d of %d random 256-byte blobs look like pickles", hits, n)
}

func TestScanMaxPickles(t *testing.T) {
	data := []byte("N.N.cos\nsystem\n.")
	if res := Scan(bytes.NewReader(data), Options{MaxPickles: 2}); res.Highest != Innocuous || res.Pickles != 2 || res.Bytes != 4 {
		t.Errorf("MaxPickles 2: highest %v pickles %d bytes %d, want innocuous 2 4", res.Highest, res.Pickles, res.Bytes)
	}
	if res := Scan(bytes.NewReader(data), Options{}); res.Highest != Dangerous || res.Pickles != 3 {
		t.Errorf("no limit: highest %v pickles %d, want dangerous 3", res.Highest, res.Pickles)
	}
}
