package modelformat_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubsec/trustlayer/shared/modelformat"
	"google.golang.org/protobuf/encoding/protowire"
)

// sparse writes head at the start of a file of size bytes (the rest a
// hole, read as zeros).
func sparse(b *testing.B, path string, head []byte, size int64) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(head); err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// onnxInline is a ModelProto whose one initializer holds n bytes of
// raw_data inline (the file is the header plus the data).
func onnxInline(n int64) []byte {
	var init []byte
	init = protowire.AppendTag(init, 8, protowire.BytesType)
	init = protowire.AppendString(init, "w")
	init = protowire.AppendTag(init, 9, protowire.BytesType)
	init = protowire.AppendVarint(init, uint64(n))
	initLen := int64(len(init)) + n
	var graph []byte
	graph = protowire.AppendTag(graph, 5, protowire.BytesType)
	graph = protowire.AppendVarint(graph, uint64(initLen))
	graphLen := int64(len(graph)) + initLen
	var m []byte
	m = protowire.AppendTag(m, 1, protowire.VarintType)
	m = protowire.AppendVarint(m, 8)
	m = protowire.AppendTag(m, 7, protowire.BytesType)
	m = protowire.AppendVarint(m, uint64(graphLen))
	m = append(m, graph...)
	return append(m, init...)
}

// onnxExternal is a ModelProto with n initializers stored in "model.onnx.data".
func onnxExternal(n int) []byte {
	var graph []byte
	for i := 0; i < n; i++ {
		var t []byte
		t = protowire.AppendTag(t, 8, protowire.BytesType)
		t = protowire.AppendString(t, "layer."+string(rune('a'+i%26))+".weight")
		for _, kv := range [][2]string{{"location", "model.onnx.data"}, {"offset", "0"}, {"length", "0"}} {
			var e []byte
			e = protowire.AppendTag(e, 1, protowire.BytesType)
			e = protowire.AppendString(e, kv[0])
			e = protowire.AppendTag(e, 2, protowire.BytesType)
			e = protowire.AppendString(e, kv[1])
			t = protowire.AppendTag(t, 13, protowire.BytesType)
			t = protowire.AppendBytes(t, e)
		}
		t = protowire.AppendTag(t, 14, protowire.VarintType)
		t = protowire.AppendVarint(t, 1)
		graph = protowire.AppendTag(graph, 5, protowire.BytesType)
		graph = protowire.AppendBytes(graph, t)
	}
	var m []byte
	m = protowire.AppendTag(m, 1, protowire.VarintType)
	m = protowire.AppendVarint(m, 8)
	m = protowire.AppendTag(m, 7, protowire.BytesType)
	return protowire.AppendBytes(m, graph)
}

// ggufHead is a GGUF header with a chat template, a 32000-token list and
// 291 tensor infos (a 7B llama's shape); the data follows to the size.
func ggufHead() []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	str := func(s string) { w(uint64(len(s))); b.WriteString(s) }
	b.WriteString("GGUF")
	w(uint32(3))
	w(uint64(291))
	w(uint64(3))
	str("general.architecture")
	w(uint32(8))
	str("llama")
	str("tokenizer.ggml.tokens")
	w(uint32(9))
	w(uint32(8))
	w(uint64(32000))
	for i := 0; i < 32000; i++ {
		str("tok")
	}
	str("tokenizer.chat_template")
	w(uint32(8))
	str("{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% endfor %}")
	for i := 0; i < 291; i++ {
		str("blk.weight")
		w(uint32(2))
		w(uint64(4096))
		w(uint64(4096))
		w(uint32(0))
		w(uint64(i) * 4096 * 4096 * 4)
	}
	return b.Bytes()
}

func sha256sum(b *testing.B, path string) time.Duration {
	start := time.Now()
	if out, err := exec.Command("sha256sum", path).CombinedOutput(); err != nil {
		b.Fatalf("sha256sum: %v %s", err, out)
	}
	return time.Since(start)
}

// BenchmarkTimeToVerdict: bytes read and time to a verdict for a 2 GiB
// ONNX model with external data (the .onnx and its .data file, each an
// object the scanner judges), a 2 GiB ONNX with its tensor inline, and a
// 4 GiB GGUF, beside sha256sum of the same files (sparse files on local
// disk: the reference reads every byte, we read the structure).
//
//	go test -run '^$' -bench TimeToVerdict -benchtime=1x ./shared/modelformat/
func BenchmarkTimeToVerdict(b *testing.B) {
	dir := b.TempDir()
	const gib = int64(1) << 30
	external := onnxExternal(300)
	// inline.onnx: a header declaring the rest of a 2 GiB file as one
	// initializer's raw_data.
	n := 2*gib - int64(len(onnxInline(2*gib)))
	inline := onnxInline(n)
	files := []struct {
		name string
		head []byte
		size int64
	}{
		{"model.onnx", external, int64(len(external))},
		{"model.onnx.data", nil, 2 * gib},
		{"inline.onnx", inline, int64(len(inline)) + n},
		{"model.gguf", ggufHead(), 4 * gib},
	}
	for _, f := range files {
		sparse(b, filepath.Join(dir, f.name), f.head, f.size)
	}
	for _, f := range files {
		b.Run(f.name, func(b *testing.B) {
			path := filepath.Join(dir, f.name)
			var ref, ours time.Duration
			var read int64
			for i := 0; i < b.N; i++ {
				ref += sha256sum(b, path)
				fh, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				rep, err := modelformat.Analyze(context.Background(), fh, f.size, f.name, modelformat.Options{})
				ours += time.Since(start)
				fh.Close()
				if err != nil {
					b.Fatal(err)
				}
				if v := rep.Verdict(); v != "ok" {
					b.Fatalf("%s: verdict %s: %+v %v", f.name, v, rep.Findings, rep.Problems)
				}
				read = rep.BytesRead
			}
			n := float64(b.N)
			b.ReportMetric(float64(f.size), "file-bytes")
			b.ReportMetric(float64(read), "bytes-read")
			b.ReportMetric(float64(ours.Microseconds())/n/1000, "ms-verdict")
			b.ReportMetric(float64(ref.Microseconds())/n/1000, "ms-sha256sum")
			b.ReportMetric(float64(ours)/float64(ref), "x-sha256sum")
		})
	}
}
