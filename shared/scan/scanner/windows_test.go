package scanner

import "testing"

// TestWindowedCoversEveryByte: the windows of a stream over the limit are
// each within it, overlap by windowOverlap, and together cover every byte
// of every segment in order.
func TestWindowedCoversEveryByte(t *testing.T) {
	st := avStream{name: "m", segments: []segment{{100, 700}, {1000, 50}, {5000, 2251}}}
	const max = 1000
	ws := windowed([]avStream{st}, max)
	if len(ws) < 3 {
		t.Fatalf("%d windows", len(ws))
	}
	var flat []int64 // object offsets in stream order
	for _, g := range st.segments {
		for i := int64(0); i < g.n; i++ {
			flat = append(flat, g.off+i)
		}
	}
	seen := make([]bool, len(flat))
	pos := int64(0)
	for i, w := range ws {
		if w.bytes() > max {
			t.Errorf("window %d has %d bytes", i, w.bytes())
		}
		var offs []int64
		for _, g := range w.segments {
			for j := int64(0); j < g.n; j++ {
				offs = append(offs, g.off+j)
			}
		}
		for j, o := range offs {
			if flat[pos+int64(j)] != o {
				t.Fatalf("window %d byte %d is object offset %d, want %d", i, j, o, flat[pos+int64(j)])
			}
			seen[pos+int64(j)] = true
		}
		pos += max - windowOverlap(max)
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("stream byte %d in no window", i)
		}
	}
	if d := windowed([]avStream{{name: "z", deflated: true, segments: []segment{{0, 5000}}}}, max); len(d) != 1 {
		t.Errorf("deflated stream split into %d", len(d))
	}
}
