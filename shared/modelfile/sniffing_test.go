package modelfile

import (
	"testing"

	"github.com/hubsec/trustlayer/shared/pickle"
)

// TestHostileNotSniffedAway covers issue 12 item 4: files CPython's
// unpickler (or torch.load, numpy.load) runs code from, which content
// sniffing once dismissed as "not a pickle". fixtures.py checks each one
// against CPython itself. Names carry no pickle extension: names never
// decide.
func TestHostileNotSniffedAway(t *testing.T) {
	fx := fixtures(t)
	tests := []struct {
		name, file string
		path       string // member path holding the import
		module     string
		importName string
	}{
		{"memo key with underscore", "evil_memo_underscore", "data", "posix", "system"},
		{"INT with form feed", "evil_int_formfeed", "data", "posix", "system"},
		{"garbage after REDUCE", "evil_then_garbage", "data", "posix", "system"},
		{"truncated opcode after REDUCE", "evil_then_truncated", "data", "posix", "system"},
		{"dotted name through posixpath", "evil_dotted", "data", "posixpath", "os.system"},
		{"safetensors-looking prefix", "evil_safetensors_prefix", "data", "posix", "system"},
		{"legacy torch tar", "legacy_evil.tar", "data!pickle", "posix", "system"},
		{"npy double quotes", "npy_double_quotes.npy", "data", "posix", "system"},
		{"npy concatenated descr", "npy_concat.npy", "data", "posix", "system"},
		{"npy escaped descr", "npy_escape.npy", "data", "posix", "system"},
		{"npy descr object", "npy_object_word.npy", "data", "posix", "system"},
		{"npy structured with object field", "npy_structured.npy", "data", "posix", "system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := analyzeBytes(t, fx[tt.file], "data", Options{})
			if rep.Highest != pickle.Dangerous || !hasImport(rep, tt.path, tt.module, tt.importName) {
				t.Fatalf("highest %v, members %+v, problems %q: want %s.%s in %s, dangerous",
					rep.Highest, rep.Members, rep.Problems, tt.module, tt.importName, tt.path)
			}
		})
	}
	t.Run("same pickle inside a zip", func(t *testing.T) {
		z := buildZip(t, zfile{name: "payload", data: fx["evil_safetensors_prefix"]}, zfile{name: "notes", data: fx["evil_then_garbage"]})
		rep := analyzeBytes(t, z, "model.zip", Options{})
		if !hasImport(rep, "payload", "posix", "system") || !hasImport(rep, "notes", "posix", "system") {
			t.Fatalf("members %+v, problems %q: want posix.system in payload and notes", rep.Members, rep.Problems)
		}
	})
}

// TestNotPickles checks what pickle.load provably cannot run code from is
// not reported: the unpickler fails before importing anything.
func TestNotPickles(t *testing.T) {
	fx := fixtures(t)
	tests := []struct {
		name string
		data []byte
		kind Kind
	}{
		{"markdown", []byte("# Model card\n\nWeights for x.\n"), KindOther},
		{"json", []byte(`{"architectures": ["Bert"]}`), KindOther},
		{"python source", []byte("import torch\nimport os\n\nclass A:\n    pass\n"), KindOther},
		{"random", randomBytes(64<<10, 5), KindOther},
		{"valid safetensors", safetensorsFile(4096), KindSafetensors},
		{"benign legacy tar", fx["legacy_benign.tar"], KindTar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := analyzeBytes(t, tt.data, "file", Options{})
			if rep.Kind != tt.kind || rep.Highest == pickle.Dangerous || len(rep.Problems) > 0 {
				t.Fatalf("kind %s highest %v problems %q members %+v: want %s, clean", rep.Kind, rep.Highest, rep.Problems, rep.Members, tt.kind)
			}
		})
	}
}

func TestPlainDescr(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", true},
		{`{"descr": "<i8", "fortran_order": False, "shape": (3,)}`, true},
		{"{'descr': '|b1', 'fortran_order': False, 'shape': ()}", true},
		{"{'descr': '<M8[ns]', 'fortran_order': False, 'shape': ()}", true},
		{"{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", false},
		{`{"descr": "|O", "fortran_order": False, "shape": (3,)}`, false},
		{"{'descr': '<f4', 'descr': '|O', 'shape': ()}", false}, // literal_eval keeps the last
		{"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}", false},
		{"{'descr': u'<f4' '', 'shape': ()}", true},
		{"{'descr': '\\N{VERTICAL LINE}O', 'shape': ()}", false},
		{"{'shape': (), 'x': {'descr': '<f4'}}", false}, // nested: no top-level descr
		{"not a dict", false},
	}
	for _, tt := range tests {
		if got := plainDescr(tt.header); got != tt.want {
			t.Errorf("plainDescr(%s) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
