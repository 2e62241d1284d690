package modelformat

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/modelformat/formattest"
)

// fuzzReader runs one reader on arbitrary bytes, seeded with the corpus
// files whose names start with one of the prefixes. Whatever the bytes,
// the reader returns (no panic, no hang: the field and size caps bound
// it), and every finding has an engine, a severity and a reason.
func fuzzReader(f *testing.F, engine string, read func(*src, *collector) error, prefixes ...string) {
	for _, c := range formattest.Cases(f) {
		for _, p := range prefixes {
			if strings.HasPrefix(c.Name, p) {
				f.Add(c.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &src{ctx: context.Background(), r: bytes.NewReader(data), size: int64(len(data)), opt: Options{MaxFields: 100000, MaxText: 1 << 20}.withDefaults()}
		c := &collector{engine: engine}
		_ = read(s, c)
		for _, fd := range c.findings {
			if fd.Engine != engine || fd.Reason == "" || (fd.Severity != Caution && fd.Severity != Dangerous) {
				t.Fatalf("bad finding %+v", fd)
			}
		}
		if s.read > 4*int64(len(data))+8*blockSize && s.read > 1<<22 {
			t.Fatalf("read %d bytes of a %d-byte input", s.read, len(data))
		}
	})
}

func FuzzONNX(f *testing.F)        { fuzzReader(f, EngineONNX, readONNX, "onnx_") }
func FuzzSavedModel(f *testing.F)  { fuzzReader(f, EngineSavedModel, readSavedModel, "saved_model") }
func FuzzGGUF(f *testing.F)        { fuzzReader(f, EngineGGUF, readGGUF, "gguf_") }
func FuzzKeras(f *testing.F)       { fuzzReader(f, EngineKeras, readKeras, "keras_", "h5_") }
func FuzzTorchScript(f *testing.F) { fuzzReader(f, EngineTorchScript, readTorchScript, "torchscript") }

// FuzzChatTemplate: the Jinja lexer terminates on any text and quotes only
// text of the template.
func FuzzChatTemplate(f *testing.F) {
	for _, s := range []string{"{{ self.__init__ }}", "{% for m in messages %}{{ m['content'] }}{% endfor %}", "{{ 'a\\x5f' ~ '_b' }}", "{% raw %}{{ __x__ }}{% endraw %}", "{#", "{{ '", "{{ x|attr('y') }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tpl string) {
		for _, h := range checkTemplate(tpl) {
			if h.why == "" || !strings.Contains(tpl, h.expr) {
				t.Fatalf("hit %+v not quoting the template", h)
			}
		}
	})
}
