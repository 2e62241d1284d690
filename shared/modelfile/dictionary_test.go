package modelfile

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// TestBoundedDictionaryDecodesExactly: xz and lzma streams declaring a
// 64 MiB dictionary, whose matches reach back 40 KB, are read through a
// dictionary lowered to what the analysis can use, and still decode to the
// end: the os.system call after 800 KB of back-references is found.
func TestBoundedDictionaryDecodesExactly(t *testing.T) {
	block := randomBytes(40<<10, 7)
	var payload bytes.Buffer
	payload.WriteString("\x80\x04B")
	_ = binary.Write(&payload, binary.LittleEndian, uint32(20*len(block)))
	for range 20 {
		payload.Write(block)
	}
	payload.WriteString("0cposix\nsystem\n\x8c\x02id\x85R.")

	var xzBuf, lzBuf bytes.Buffer
	xw, err := xz.WriterConfig{DictCap: 64 << 20}.NewWriter(&xzBuf)
	if err != nil {
		t.Fatal(err)
	}
	lw, err := lzma.WriterConfig{DictCap: 64 << 20}.NewWriter(&lzBuf)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []interface {
		Write([]byte) (int, error)
		Close() error
	}{xw, lw} {
		if _, err := w.Write(payload.Bytes()); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	a := &analyzer{opts: Options{}.withDefaults()}
	for _, c := range []struct {
		method string
		data   []byte
	}{{"xz", xzBuf.Bytes()}, {"lzma", lzBuf.Bytes()}} {
		maxOut := a.maxOutput(int64(len(c.data)))
		src := bytes.NewReader(c.data)
		if r := boundDictionary(src, int64(len(c.data)), src, c.method, maxOut); r == src {
			t.Errorf("%s (%d bytes, output cap %d): declared 64 MiB dictionary not lowered", c.method, len(c.data), maxOut)
		}
		rep := analyzeBytes(t, c.data, "model.pkl."+c.method, Options{})
		if !hasImport(rep, "model.pkl."+c.method+"!"+c.method, "posix", "system") || len(rep.Problems) > 0 {
			t.Errorf("%s: imports %v, problems %v; want posix.system and no problem", c.method, rep.Imports(), rep.Problems)
		}
	}
}
