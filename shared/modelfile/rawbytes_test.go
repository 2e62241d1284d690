package modelfile

import (
	"encoding/binary"
	"math"
	"math/rand"
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// TestRawBytesAreNotPickles: files that are not pickles (random bytes, the
// raw float32 and float16 weights of ONNX external data, TensorFlow
// variables or GGML blobs) are analysed as pickles, since detection goes by
// bytes, and read as opcodes they often parse for a few bytes before
// CPython's unpickler stops: a STACK_GLOBAL or SETITEMS on an empty stack,
// an EXT lookup in a stock interpreter's empty registry, a second
// "pickle" after a STOP found by chance, two bytes that look like a zlib
// header. None of that can run code, and none of it may make the file
// "dangerous" or "could not be judged" (both refuse the file): before this
// rule about 2.5% of such files were refused.
func TestRawBytesAreNotPickles(t *testing.T) {
	const n = 1000
	for _, mode := range []string{"random", "float32", "float16"} {
		t.Run(mode, func(t *testing.T) {
			bad := 0
			for i := range n {
				b := make([]byte, 16<<10)
				rng := rand.New(rand.NewSource(int64(i)))
				switch mode {
				case "random":
					rng.Read(b)
				case "float32":
					for j := 0; j+4 <= len(b); j += 4 {
						binary.LittleEndian.PutUint32(b[j:], math.Float32bits(float32(rng.NormFloat64()*0.05)))
					}
				case "float16": // the high half of a float32: bfloat16
					for j := 0; j+2 <= len(b); j += 2 {
						binary.LittleEndian.PutUint16(b[j:], uint16(math.Float32bits(float32(rng.NormFloat64()*0.05))>>16))
					}
				}
				rep := analyzeBytes(t, b, "weights.bin", Options{})
				if len(rep.Problems) > 0 || rep.Highest == pickle.Dangerous {
					bad++
					if bad <= 3 {
						t.Errorf("seed %d (%x…): problems %q highest %v members %+v", i, b[:8], rep.Problems, rep.Highest, rep.Members)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d %s files refused", bad, n, mode)
			}
		})
	}
}
