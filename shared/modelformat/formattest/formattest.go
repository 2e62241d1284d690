// Package formattest builds the model-format corpus at test time: ONNX and
// HDF5 files with the real libraries (corpus.py: Debian python3-onnx and
// python3-h5py), and .keras, SavedModel, GGUF and TorchScript files by hand
// to their specifications. Each case carries the verdict it must get.
package formattest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/hubsec/trustlayer/shared/platform/testenv"
	"google.golang.org/protobuf/encoding/protowire"
)

// Case is one corpus file and what it must be judged.
type Case struct {
	Name string
	Data []byte
	// Want is "ok" (no finding), "caution", "dangerous", or "error" (the
	// file cannot be read to the end and must not pass as ok).
	Want string
	// Reason is a substring of the finding's reason (or the problem).
	Reason string
}

// python returns Debian's interpreter when present (the libraries are
// Debian packages; a pyenv shim earlier on PATH may lack them).
func python(t testing.TB) string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return testenv.RequireTool(t, "python3")
}

// Cases returns the whole corpus.
func Cases(t testing.TB) []Case {
	t.Helper()
	var cases []Case
	cases = append(cases, pythonCases(t)...)
	cases = append(cases, goCases()...)
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases
}

var pythonWants = map[string][2]string{
	"onnx_inline.onnx":                    {"ok", ""},
	"onnx_external.onnx":                  {"ok", ""},
	"onnx_external.onnx.data":             {"ok", ""},
	"onnx_external_subdir.onnx":           {"ok", ""},
	"onnx_traversal.onnx":                 {"dangerous", `"../../etc/passwd": the location leaves the model's directory`},
	"onnx_bypass.onnx":                    {"dangerous", "leaves the model's directory"},
	"onnx_absolute.onnx":                  {"dangerous", `"/etc/passwd": the location is an absolute path`},
	"onnx_backslash.onnx":                 {"dangerous", "leaves the model's directory"},
	"onnx_subgraph_traversal.onnx":        {"dangerous", `tensor "inner" (initializer) reads external data from "../../../root/.ssh/id_rsa"`},
	"onnx_attribute_tensor.onnx":          {"dangerous", `(attribute of node "const0") reads external data from "/proc/self/environ"`},
	"onnx_custom_domain.onnx":             {"caution", `non-standard domain "com.example.custom"`},
	"h5_weights_only.h5":                  {"ok", ""},
	"h5_keras_ok.h5":                      {"ok", ""},
	"h5_keras_ok_bytes.h5":                {"ok", ""},
	"h5_keras_ok_named_lambda_dataset.h5": {"ok", ""},
	"h5_keras_lambda.h5":                  {"dangerous", `Lambda layer "evil_lambda"`},
	"h5_keras_lambda_bytes.h5":            {"dangerous", `Lambda layer "evil_lambda"`},
	"h5_keras_lambda_latest.h5":           {"dangerous", `Lambda layer "evil_lambda"`},
	"h5_keras_lambda_userblock.h5":        {"dangerous", `Lambda layer "evil_lambda"`},
	"h5_keras_lambda_continuation.h5":     {"dangerous", `Lambda layer "evil_lambda"`},
	// HDF5 1.8+ moves many attributes to dense storage, which the
	// minimal reader does not follow: that must be an error, never ok.
	"h5_keras_lambda_dense_storage.h5": {"error", "dense storage"},
}

// cached holds corpus.py's output for the process (it takes a second).
var cached struct {
	sync.Mutex
	cases []Case
}

func pythonCases(t testing.TB) []Case {
	cached.Lock()
	defer cached.Unlock()
	if cached.cases != nil {
		return cached.cases
	}
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "corpus.py")
	dir, err := os.MkdirTemp("", "formattest")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if out, err := exec.Command(python(t), script, dir).CombinedOutput(); err != nil {
		if testenv.Strict() {
			t.Fatalf("corpus.py: %v\n%s", err, out)
		}
		t.Skipf("corpus.py (needs python3-onnx, python3-h5py; infra/deps.sh installs them): %v\n%s", err, out)
	}
	var cases []Case
	for name, want := range pythonWants {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("corpus.py did not write %s: %v", name, err)
		}
		cases = append(cases, Case{Name: name, Data: b, Want: want[0], Reason: want[1]})
	}
	cached.cases = cases
	return cases
}

func goCases() []Case {
	dense := `{"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2}, "registered_name": null}`
	functional := func(layers string) []byte {
		return []byte(`{"module": "keras", "class_name": "Functional", "config": {"name": "model", "layers": [` + layers + `]}, "registered_name": "Functional"}`)
	}
	lambda3 := `{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {"code": "4wAAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMEAAAAZABTAKkBTqkAqQFaAXhyAgAAAHICAAAA+gE8bGFtYmRhPg==", "defaults": null, "closure": null}}}}`
	nested := `{"module": "keras", "class_name": "Sequential", "config": {"name": "inner", "layers": [` + lambda3 + `]}}`
	osSystem := `{"module": "os", "class_name": "system", "config": {"name": "x"}, "registered_name": null}`
	custom := `{"module": "my_company.layers", "class_name": "Fancy", "config": {"name": "fancy"}, "registered_name": "my_company>Fancy"}`
	keras := func(cfg []byte) []byte {
		return buildZip([][2]string{{"metadata.json", `{"keras_version": "3.3.3"}`}, {"config.json", string(cfg)}, {"model.weights.h5", ""}})
	}

	chatml := "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
	llama3 := "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}{# __class__ in a comment is not code #}"
	tools := "{%- set ns = namespace(found=false) -%}{%- for m in messages -%}{%- if m.role == 'system' -%}{%- set ns.found = true -%}{%- endif -%}{%- endfor -%}{{ raise_exception('no system') if not ns.found }}{{ messages | tojson }}"
	ssti := "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}"
	lipsum := "{% for m in messages %}{{ m.content }}{% endfor %}{{ lipsum.__globals__['os'].popen('id').read() }}"
	escaped := "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}"
	concat := "{% set x = messages[('_' ~ '_cla') ~ 'ss__'] %}"

	return []Case{
		{"keras_ok.keras", keras(functional(dense)), "ok", ""},
		{"keras_lambda.keras", keras(functional(dense + "," + lambda3)), "dangerous", `Lambda layer "evil"`},
		{"keras_nested_lambda.keras", keras(functional(dense + "," + nested)), "dangerous", `Lambda layer "evil"`},
		{"keras_module_os.keras", keras(functional(osSystem)), "dangerous", "imports os.system"},
		{"keras_custom_module.keras", keras(functional(custom)), "caution", "my_company.layers.Fancy"},
		{"keras_not_json.keras", keras([]byte("{not json")), "error", "not JSON"},

		{"saved_model_ok.pb", savedModel([][2]string{{"x", "Placeholder"}, {"w", "VarHandleOp"}, {"mm", "MatMul"}, {"saver/SaveV2", "SaveV2"}, {"saver/RestoreV2", "RestoreV2"}}, [][2]string{{"add", "AddV2"}}), "ok", ""},
		{"saved_model_readfile.pb", savedModel([][2]string{{"x", "Placeholder"}, {"leak", "ReadFile"}}, nil), "dangerous", `operation ReadFile (reads a file) in node "leak"`},
		{"saved_model_writefile_fn.pb", savedModel([][2]string{{"x", "Placeholder"}}, [][2]string{{"drop", "WriteFile"}}), "dangerous", `operation WriteFile (writes a file) in node "drop" of function "__inference_serve_1"`},
		{"saved_model_pyfunc.pb", savedModel(nil, [][2]string{{"py", "PyFunc"}}), "dangerous", "operation PyFunc (runs Python code)"},

		{"gguf_ok_chatml.gguf", gguf(binary.LittleEndian, 3, chatml, ""), "ok", ""},
		{"gguf_ok_llama3.gguf", gguf(binary.LittleEndian, 3, llama3, ""), "ok", ""},
		{"gguf_ok_tools.gguf", gguf(binary.LittleEndian, 3, tools, ""), "ok", ""},
		{"gguf_ok_bigendian.gguf", gguf(binary.BigEndian, 3, chatml, ""), "ok", ""},
		{"gguf_ok_v2.gguf", gguf(binary.LittleEndian, 2, llama3, ""), "ok", ""},
		{"gguf_ssti.gguf", gguf(binary.LittleEndian, 3, ssti, ""), "dangerous", "reaches the global self"},
		{"gguf_ssti_lipsum.gguf", gguf(binary.LittleEndian, 3, lipsum, ""), "dangerous", "lipsum.__globals__"},
		{"gguf_ssti_escaped.gguf", gguf(binary.LittleEndian, 3, escaped, ""), "dangerous", "attr"},
		{"gguf_ssti_concat.gguf", gguf(binary.LittleEndian, 3, concat, ""), "dangerous", "by concatenation"},
		{"gguf_ssti_named_template.gguf", gguf(binary.LittleEndian, 3, chatml, ssti), "dangerous", "tokenizer.chat_template.tool_use"},
		{"gguf_truncated.gguf", gguf(binary.LittleEndian, 3, chatml, "")[:60], "error", "the file (60 bytes) ends before"},

		{"torchscript.pt", buildZip([][2]string{{"m/data.pkl", "\x80\x02}q\x00."}, {"m/constants.pkl", "\x80\x02)."}, {"m/code/__torch__/m.py", "class M(Module):\n  def forward(self, x):\n    return x\n"}, {"m/version", "3\n"}}), "caution", "m/code/__torch__/m.py"},
		{"plain_zip.zip", buildZip([][2]string{{"readme.txt", "hello"}}), "ok", ""},
	}
}

// buildZip stores members in order.
func buildZip(members [][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m[0], Method: zip.Store})
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(m[1])); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// savedModel encodes a SavedModel (saved_model.proto) with one
// MetaGraphDef whose graph holds the nodes and one library function
// holding fnNodes.
func savedModel(nodes, fnNodes [][2]string) []byte {
	node := func(name, op string) []byte {
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, name)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, op)
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, "/device:CPU:0")
		return b
	}
	var graph []byte
	for _, n := range nodes {
		graph = protowire.AppendTag(graph, 1, protowire.BytesType)
		graph = protowire.AppendBytes(graph, node(n[0], n[1]))
	}
	if fnNodes != nil {
		var sig []byte
		sig = protowire.AppendTag(sig, 1, protowire.BytesType)
		sig = protowire.AppendString(sig, "__inference_serve_1")
		var fn []byte
		fn = protowire.AppendTag(fn, 1, protowire.BytesType)
		fn = protowire.AppendBytes(fn, sig)
		for _, n := range fnNodes {
			fn = protowire.AppendTag(fn, 3, protowire.BytesType)
			fn = protowire.AppendBytes(fn, node(n[0], n[1]))
		}
		var lib []byte
		lib = protowire.AppendTag(lib, 1, protowire.BytesType)
		lib = protowire.AppendBytes(lib, fn)
		graph = protowire.AppendTag(graph, 2, protowire.BytesType)
		graph = protowire.AppendBytes(graph, lib)
	}
	// GraphDef.versions (4): producer 1 (field 1).
	graph = protowire.AppendTag(graph, 4, protowire.BytesType)
	graph = protowire.AppendBytes(graph, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1395))
	var meta []byte
	// meta_info_def (1): tags (4) "serve".
	meta = protowire.AppendTag(meta, 1, protowire.BytesType)
	meta = protowire.AppendBytes(meta, protowire.AppendString(protowire.AppendTag(nil, 4, protowire.BytesType), "serve"))
	meta = protowire.AppendTag(meta, 2, protowire.BytesType)
	meta = protowire.AppendBytes(meta, graph)
	var sm []byte
	sm = protowire.AppendTag(sm, 1, protowire.VarintType)
	sm = protowire.AppendVarint(sm, 1)
	sm = protowire.AppendTag(sm, 2, protowire.BytesType)
	sm = protowire.AppendBytes(sm, meta)
	return sm
}

// gguf writes a GGUF file (ggml docs/gguf.md) with typical metadata, a
// token list, a chat template (and a named one when named != ""), two
// tensor infos and aligned tensor data.
func gguf(order binary.ByteOrder, version uint32, template, named string) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, order, v) }
	str := func(s string) {
		if version == 1 {
			w(uint32(len(s)))
		} else {
			w(uint64(len(s)))
		}
		b.WriteString(s)
	}
	count := func(n int) {
		if version == 1 {
			w(uint32(n))
		} else {
			w(uint64(n))
		}
	}
	b.WriteString("GGUF")
	w(version)
	kvs := 6
	if named != "" {
		kvs++
	}
	count(2)   // tensors
	count(kvs) // key-value pairs
	str("general.architecture")
	w(uint32(8))
	str("llama")
	str("general.name")
	w(uint32(8))
	str("corpus")
	str("llama.context_length")
	w(uint32(4))
	w(uint32(4096))
	str("general.alignment")
	w(uint32(4))
	w(uint32(32))
	str("tokenizer.ggml.tokens")
	w(uint32(9))
	w(uint32(8))
	count(5)
	for _, tok := range []string{"<s>", "</s>", "__class__", "hello", "world"} {
		str(tok)
	}
	str("tokenizer.chat_template")
	w(uint32(8))
	str(template)
	if named != "" {
		str("tokenizer.chat_template.tool_use")
		w(uint32(8))
		str(named)
	}
	for i, name := range []string{"token_embd.weight", "output.weight"} {
		str(name)
		w(uint32(2)) // dims
		count(4)
		count(4)
		w(uint32(0)) // F32
		w(uint64(i * 64))
	}
	for b.Len()%32 != 0 {
		b.WriteByte(0)
	}
	b.Write(make([]byte, 128))
	return b.Bytes()
}
