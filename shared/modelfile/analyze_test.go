package modelfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// hasImport reports whether rep lists module.name at path.
func hasImport(rep Report, path, module, name string) bool {
	for _, m := range rep.Members {
		if m.Path != path {
			continue
		}
		for _, i := range m.Imports {
			if i.Module == module && i.Name == name {
				return true
			}
		}
	}
	return false
}

func TestAnalyzeFiles(t *testing.T) {
	fx := fixtures(t)
	benignZip := torchZip(t, fx["benign.pkl"], 64<<10)
	evilZip := torchZip(t, fx["evil.pkl"], 64<<10)
	inner := torchZip(t, fx["evil.pkl"], 4<<10)

	tests := []struct {
		name      string
		file      string
		data      []byte
		kind      Kind
		highest   pickle.Safety
		want      [][3]string // path, module, name
		problems  bool
		maxRead   int64 // 0: no check
		opts      Options
		problemIs string // substring of a problem
	}{
		{name: "benign checkpoint", file: "model.pt", data: benignZip, kind: KindPyTorchZip, highest: pickle.Innocuous,
			want: [][3]string{{"archive/data.pkl", "torch._utils", "_rebuild_tensor_v2"}, {"archive/data.pkl", "torch", "FloatStorage"}}},
		{name: "malicious checkpoint", file: "model.pt", data: evilZip, kind: KindPyTorchZip, highest: pickle.Dangerous,
			want: [][3]string{{"archive/data.pkl", "posix", "system"}}},
		{name: "deflated data.pkl", file: "model.pt", kind: KindPyTorchZip, highest: pickle.Dangerous,
			data: buildZip(t, zfile{name: "archive/data.pkl", data: fx["evil.pkl"], deflate: true}, zfile{name: "archive/data/0", data: randomBytes(1000, 3)}),
			want: [][3]string{{"archive/data.pkl", "posix", "system"}}},
		{name: "encrypted flag bit", file: "model.pt", kind: KindPyTorchZip, highest: pickle.Dangerous,
			data: patchZip(t, evilZip, "archive/data.pkl", func(h []byte, central bool) {
				off := 6
				if central {
					off = 8
				}
				binary.LittleEndian.PutUint16(h[off:], binary.LittleEndian.Uint16(h[off:])|0x1|0x40|0x2000)
			}),
			want: [][3]string{{"archive/data.pkl", "posix", "system"}}},
		{name: "CRC mismatch", file: "model.pt", kind: KindPyTorchZip, highest: pickle.Dangerous,
			data: patchZip(t, evilZip, "archive/data.pkl", func(h []byte, central bool) {
				off := 14
				if central {
					off = 16
				}
				binary.LittleEndian.PutUint32(h[off:], 0xdeadbeef)
			}),
			want: [][3]string{{"archive/data.pkl", "posix", "system"}}},
		{name: "local name differs", file: "model.pt", kind: KindPyTorchZip, highest: pickle.Dangerous,
			data: patchZip(t, evilZip, "archive/data.pkl", func(h []byte, central bool) {
				if !central {
					copy(h[30:], "archive/XXXX.txt")
				}
			}),
			want: [][3]string{{"archive/data.pkl", "posix", "system"}}},
		{name: "pickle named foo.txt", file: "model.zip", kind: KindZip, highest: pickle.Dangerous,
			data: buildZip(t, zfile{name: "foo.txt", data: fx["evil_p0.pkl"]}, zfile{name: "README", data: []byte("hello world\n")}),
			want: [][3]string{{"foo.txt", "posix", "system"}}},
		{name: "zip64 end records", file: "model.pt", kind: KindPyTorchZip, highest: pickle.Dangerous,
			data: toZip64(t, evilZip), want: [][3]string{{"archive/data.pkl", "posix", "system"}}},
		{name: "nested stored zip", file: "outer.zip", kind: KindZip, highest: pickle.Dangerous,
			data: buildZip(t, zfile{name: "inner.zip", data: inner}),
			want: [][3]string{{"inner.zip!archive/data.pkl", "posix", "system"}}},
		{name: "nested deflated zip", file: "outer.zip", kind: KindZip, highest: pickle.Dangerous,
			data: buildZip(t, zfile{name: "a/inner.pt", data: inner, deflate: true}),
			want: [][3]string{{"a/inner.pt!archive/data.pkl", "posix", "system"}}},
		{name: "too deep", file: "outer.zip", kind: KindZip, highest: pickle.Innocuous, problems: true,
			data: nest(t, inner, 4), problemIs: "nested deeper"},
		{name: "member limit", file: "model.pt", kind: KindPyTorchZip, problems: true, opts: Options{MaxMembers: 2},
			data: evilZip, problemIs: "member limit", highest: pickle.Dangerous},
		{name: "protocol 0 pickle as .bin", file: "pytorch_model.bin", data: fx["evil_p0.pkl"], kind: KindPickle,
			highest: pickle.Dangerous, want: [][3]string{{"pytorch_model.bin", "posix", "system"}}},
		{name: "legacy torch.save", file: "pytorch_model.bin", data: fx["legacy_benign.bin"], kind: KindPickle,
			highest: pickle.Innocuous, want: [][3]string{{"pytorch_model.bin", "torch._utils", "_rebuild_tensor_v2"}}},
		{name: "legacy torch.save malicious", file: "pytorch_model.bin", data: fx["legacy_evil.bin"], kind: KindPickle,
			highest: pickle.Dangerous, want: [][3]string{{"pytorch_model.bin", "posix", "system"}}},
		// The tail after the payload's STOP breaks before importing
		// anything: bytes after the pickle, not a problem; the payload
		// alone makes the file dangerous.
		{name: "broken pickle after payload", file: "x.pkl", data: fx["evil_broken.pkl"], kind: KindPickle,
			highest: pickle.Dangerous, want: [][3]string{{"x.pkl", "posix", "system"}}},
		{name: "object npy", file: "arr.npy", data: fx["object_evil.npy"], kind: KindNumpy, highest: pickle.Dangerous,
			want: [][3]string{{"arr.npy", "posix", "system"}}},
		{name: "benign object npy", file: "arr.npy", data: fx["object_benign.npy"], kind: KindNumpy, highest: pickle.Innocuous,
			want: [][3]string{{"arr.npy", "collections", "OrderedDict"}}},
		{name: "float npy is not read", file: "arr.npy", data: fx["float.npy"], kind: KindNumpy, highest: pickle.Innocuous, maxRead: 4096},
		{name: "npz with object array", file: "arrays.npz", kind: KindZip, highest: pickle.Dangerous,
			data: buildZip(t, zfile{name: "a.npy", data: fx["float.npy"]}, zfile{name: "b.npy", data: fx["object_evil.npy"], deflate: true}),
			want: [][3]string{{"b.npy", "posix", "system"}}, maxRead: 64 << 10},
		{name: "safetensors", file: "model.safetensors", data: safetensorsFile(1 << 20), kind: KindSafetensors,
			highest: pickle.Innocuous, maxRead: 4096},
		{name: "bad safetensors header", file: "model.safetensors", data: append([]byte{4, 0, 0, 0, 0, 0, 0, 0}, "{bad"...),
			kind: KindOther, problems: true},
		{name: "plain text", file: "README.md", data: []byte("# Model card\n"), kind: KindOther},
		{name: "random .bin", file: "weights.bin", data: randomBytes(1<<20, 9), kind: KindOther, maxRead: 128 << 10},
		{name: "truncated zip", file: "model.pt", data: evilZip[:len(evilZip)-10], kind: KindPyTorchZip, problems: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := analyzeBytes(t, tt.data, tt.file, tt.opts)
			if rep.Kind != tt.kind && !(tt.name == "truncated zip" && rep.Kind == KindZip) {
				t.Errorf("kind = %s, want %s", rep.Kind, tt.kind)
			}
			if rep.Highest != tt.highest {
				t.Errorf("highest = %v, want %v (members %+v)", rep.Highest, tt.highest, rep.Members)
			}
			for _, w := range tt.want {
				if !hasImport(rep, w[0], w[1], w[2]) {
					t.Errorf("missing %s.%s in %s; members %+v", w[1], w[2], w[0], rep.Members)
				}
			}
			if (len(rep.Problems) > 0) != tt.problems {
				t.Errorf("problems = %q, want problems: %v", rep.Problems, tt.problems)
			}
			if tt.problemIs != "" && !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, tt.problemIs) }) {
				t.Errorf("problems = %q, want one containing %q", rep.Problems, tt.problemIs)
			}
			if tt.maxRead > 0 && rep.BytesRead > tt.maxRead {
				t.Errorf("read %d bytes of %d, want at most %d", rep.BytesRead, len(tt.data), tt.maxRead)
			}
		})
	}
}

// nest wraps z in levels more zips, each stored as "level.zip".
func nest(t *testing.T, z []byte, levels int) []byte {
	for i := 0; i < levels; i++ {
		z = buildZip(t, zfile{name: "level.zip", data: z})
	}
	return z
}

func safetensorsFile(dataSize int) []byte {
	header := []byte(fmt.Sprintf(`{"w":{"dtype":"F32","shape":[%d],"data_offsets":[0,%d]},"__metadata__":{"format":"pt"}}`, dataSize/4, dataSize/4*4))
	dataSize = dataSize / 4 * 4
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, make([]byte, dataSize)...)
}

// TestAnalyzeLargeCheckpointReadsLittle checks a checkpoint with a 50 MiB
// tensor is judged from a few kilobytes.
func TestAnalyzeLargeCheckpointReadsLittle(t *testing.T) {
	fx := fixtures(t)
	z := torchZip(t, fx["evil.pkl"], 50<<20)
	rep := analyzeBytes(t, z, "model.pt", Options{})
	if rep.Highest != pickle.Dangerous || len(rep.Problems) > 0 {
		t.Fatalf("highest %v problems %q, want dangerous and none", rep.Highest, rep.Problems)
	}
	if rep.BytesRead > 64<<10 {
		t.Errorf("read %d bytes of a %d byte checkpoint, want under 64 KiB", rep.BytesRead, len(z))
	}
	t.Logf("read %d of %d bytes", rep.BytesRead, len(z))
}

// TestZipTricksPythonRejects confirms the patched archives really are ones
// Go's archive/zip (like Python's zipfile) refuses, so the tests above test
// something.
func TestZipTricksPythonRejects(t *testing.T) {
	fx := fixtures(t)
	evilZip := torchZip(t, fx["evil.pkl"], 1024)
	crc := patchZip(t, evilZip, "archive/data.pkl", func(h []byte, central bool) {
		off := 14
		if central {
			off = 16
		}
		binary.LittleEndian.PutUint32(h[off:], crc32.ChecksumIEEE([]byte("other")))
	})
	zr, err := zip.NewReader(bytes.NewReader(crc), int64(len(crc)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err == nil {
		t.Error("archive/zip read a member with a bad CRC without error")
	}
}
