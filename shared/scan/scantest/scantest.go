// Package scantest makes test files for the scanner: EICAR, safetensors,
// and PyTorch-style zip checkpoints whose data.pkl is written by python3's
// pickle module (a benign state dict, or a __reduce__ that calls
// os.system).
package scantest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os/exec"
	"testing"

	"github.com/hubsec/trustlayer/shared/modelfile/realcorpus"
	"github.com/hubsec/trustlayer/shared/platform/testenv"
)

// EICAR is the standard 68-byte antivirus test file.
const EICAR = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// benignPy pickles what torch.save puts in data.pkl for a state dict: an
// OrderedDict of tensors rebuilt by torch._utils._rebuild_tensor_v2 over a
// torch.FloatStorage (fake torch modules: torch is not installed).
const benignPy = `
import collections, pickle, sys, types
torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
class FloatStorage: pass
def _rebuild_tensor_v2(*a): pass
FloatStorage.__module__ = "torch"; _rebuild_tensor_v2.__module__ = "torch._utils"
torch.FloatStorage = FloatStorage; torch._utils = utils; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"] = torch; sys.modules["torch._utils"] = utils
class T:
    def __reduce__(self): return (_rebuild_tensor_v2, ((FloatStorage, "0", "cpu", 4), 0, (2, 2), (2, 1), False, collections.OrderedDict()))
sys.stdout.buffer.write(pickle.dumps(collections.OrderedDict([("weight", T())]), protocol=2))
`

// maliciousPy pickles an object whose __reduce__ calls os.system.
const maliciousPy = `
import os, pickle, sys
class Payload:
    def __reduce__(self): return (os.system, ("echo pwned",))
sys.stdout.buffer.write(pickle.dumps({"model": Payload()}, protocol=2))
`

func python(t testing.TB, script string) []byte {
	t.Helper()
	py := testenv.RequireTool(t, "python3")
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	return out
}

// BenignPickle returns a state-dict pickle with only innocuous imports.
func BenignPickle(t testing.TB) []byte { return python(t, benignPy) }

// MaliciousPickle returns a pickle that runs os.system when loaded.
func MaliciousPickle(t testing.TB) []byte { return python(t, maliciousPy) }

// Member is one zip member.
type Member struct {
	Name    string
	Data    []byte
	Deflate bool
}

// Zip writes members in order (stored unless Deflate), as torch.save does.
func Zip(t testing.TB, members ...Member) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, m := range members {
		method := zip.Store
		if m.Deflate {
			method = zip.Deflate
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: m.Name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(m.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TorchZip is a PyTorch-style checkpoint: archive/data.pkl, two tensor
// storages of about tensorSize bytes, archive/version.
func TorchZip(t testing.TB, pkl []byte, tensorSize int) []byte {
	return Zip(t,
		Member{Name: "archive/data.pkl", Data: pkl},
		Member{Name: "archive/byteorder", Data: []byte("little")},
		Member{Name: "archive/data/0", Data: Random(tensorSize, 1)},
		Member{Name: "archive/data/1", Data: Random(tensorSize/2+1, 2)},
		Member{Name: "archive/version", Data: []byte("3\n")},
		Member{Name: "archive/.data/serialization_id", Data: []byte("1234567890\n")},
	)
}

// Safetensors returns a valid safetensors file with one F32 tensor of n
// floats.
func Safetensors(n int) []byte {
	hdr := []byte(`{"weight":{"dtype":"F32","shape":[` + itoa(n) + `],"data_offsets":[0,` + itoa(4*n) + `]}}`)
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	out = append(out, hdr...)
	return append(out, Random(4*n, 3)...)
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// Random returns n pseudo-random bytes from seed.
func Random(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}

// paddedMaliciousPy is maliciousPy after pad bytes of data (protocol 3:
// one BINBYTES, no framing), so a dangerous pickle can be made of any size.
const paddedMaliciousPy = `
import os, pickle, sys
class Payload:
    def __reduce__(self): return (os.system, ("echo pwned",))
sys.stdout.buffer.write(pickle.dumps([b"\0" * int(sys.argv[1]), Payload()], protocol=3))
`

// PaddedMaliciousPickle returns a pickle of about pad bytes that runs
// os.system when loaded.
func PaddedMaliciousPickle(t testing.TB, pad int) []byte {
	t.Helper()
	py := testenv.RequireTool(t, "python3")
	out, err := exec.Command(py, "-c", paddedMaliciousPy, itoa(pad)).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	return out
}

// realSafePy pickles what real libraries write: a fitted scikit-learn
// model (pickle.dumps, as joblib-less code saves one) and a numpy array.
const realSafePy = `
import pickle, sys, numpy, sklearn.linear_model
m = sklearn.linear_model.LinearRegression().fit(numpy.arange(8.0).reshape(4, 2), numpy.arange(4.0))
sys.stdout.buffer.write(pickle.dumps(m) if sys.argv[1] == "sklearn" else pickle.dumps(numpy.arange(16, dtype=numpy.float32)))
`

// RealSafePickle returns a pickle written by a real library: "sklearn" (a
// fitted LinearRegression) or "numpy" (an array). python3-sklearn and
// python3-numpy come from infra/deps.sh.
func RealSafePickle(t testing.TB, kind string) []byte {
	t.Helper()
	py := realcorpus.Python(t)
	out, err := exec.Command(py, "-c", realSafePy, kind).Output()
	if err != nil {
		t.Fatalf("python3 (%s pickle): %v", kind, err)
	}
	return out
}
