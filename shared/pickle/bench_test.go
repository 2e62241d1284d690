package pickle

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// benchPickle is a protocol 4 pickle shaped like a large state dict: many
// memoized keys, rebuild calls and a few megabytes of inline bytes.
func benchPickle() []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x04\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94(")
	for i := 0; i < 20000; i++ {
		b.WriteString("\x8c\x0elayer.0.weight\x94\x8c\x0ctorch._utils\x94\x8c\x12_rebuild_tensor_v2\x94\x93\x94")
		b.WriteString("C\x40" + string(make([]byte, 64)) + "\x94\x85R\x94")
	}
	b.WriteString("u.")
	return b.Bytes()
}

// BenchmarkScan reports Scan's throughput beside SHA-256 over the same bytes.
func BenchmarkScan(b *testing.B) {
	data := benchPickle()
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if res := Scan(bytes.NewReader(data), Options{}); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			sha256.Sum256(data)
		}
	})
}
