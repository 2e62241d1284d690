package pickle

import (
	"encoding/json"
	"testing"
)

func TestRate(t *testing.T) {
	tests := []struct {
		module, name string
		want         Safety
	}{
		{"collections", "OrderedDict", Innocuous},
		{"torch._utils", "_rebuild_tensor_v2", Innocuous},
		{"torch", "FloatStorage", Innocuous},
		{"torch", "BFloat16Storage", Innocuous},
		{"numpy.core.multiarray", "_reconstruct", Innocuous},
		{"numpy._core.multiarray", "_reconstruct", Innocuous},
		{"numpy", "dtype", Innocuous},
		{"builtins", "set", Innocuous},
		{"__builtin__", "frozenset", Innocuous},
		{"_codecs", "encode", Innocuous},
		{"__builtin__", "xrange", Innocuous}, // mapped to builtins.range
		{"os", "system", Dangerous},
		{"posix", "system", Dangerous},
		{"nt", "system", Dangerous},
		{"builtins", "eval", Dangerous},
		{"builtins", "eval.__call__", Dangerous},
		{"__builtin__", "getattr", Dangerous},
		{"builtins", "__import__", Dangerous},
		{"asyncio.unix_events", "_UnixSelectorEventLoop", Dangerous},
		{"pip", "main", Dangerous},
		{"pip._internal.cli.main", "main", Dangerous},
		{"functools", "partial", Dangerous},
		{"types", "CodeType", Dangerous},
		{"operator", "attrgetter", Dangerous},
		{"_operator", "methodcaller", Dangerous},
		{"pkgutil", "resolve_name", Dangerous},
		{"torch.serialization", "load", Dangerous},
		{"torch._inductor.codecache", "compile_file", Dangerous},
		{"torch.hub", "load", Dangerous},
		{"logging", "FileHandler", Dangerous},
		{"_io", "FileIO", Dangerous},
		{"io", "FileIO", Dangerous},
		{"cloudpickle.cloudpickle", "_make_function", Dangerous},
		{"idlelib.pyshell", "ModifiedInterpreter.runcode", Dangerous},
		{"lib2to3.pgen2.grammar", "Grammar.loads", Dangerous},
		{"uuid", "_get_command_stdout", Dangerous},
		{"_pyrepl.pager", "pipe_pager", Dangerous},
		{"urllib.request", "urlopen", Dangerous},
		{"urllib", "urlopen", Dangerous}, // Python 2 name mapped by fix_imports
		{"httplib", "HTTPSConnection", Dangerous},
		{"cPickle", "loads", Dangerous},
		{"unknown", "system", Dangerous},
		{"os", Unknown, Dangerous},
		{"ossomething", "x", Suspicious}, // a prefix is not a parent package
		{"operator", "add", Suspicious},
		{"mypkg", "Net", Suspicious},
		{"collections", "OrderedDict.fromkeys", Suspicious},
		// Deny-list gaps from issue 12: these run code.
		{"torch.fx.graph_module", "_exec_with_source", Dangerous},
		{"torch.fx.graph_module", "reduce_graph_module", Dangerous},
		{"torch.fx.graph_module", "_forward_from_src", Dangerous},
		{"torch.utils.cpp_extension", "load_inline", Dangerous},
		{"torch.utils.cpp_extension", "load", Dangerous},
		{"torch._inductor.codecache", "PyCodeCache.load_by_key_path", Dangerous},
		{"torch.package.package_importer", "PackageImporter", Dangerous},
		{"numpy.lib.format", "read_array", Dangerous},
		{"codeop", "compile_command", Dangerous},
		{"py_compile", "compile", Dangerous},
		{"mailcap", "findmatch", Dangerous},
		{"platform", "_syscmd_file", Dangerous},
		{"concurrent.futures.process", "ProcessPoolExecutor", Dangerous},
		{"signal", "signal", Dangerous},
		{"sqlite3", "connect", Dangerous},
		{"tarfile", "open", Dangerous},
		{"zipfile", "ZipFile", Dangerous},
		{"http.server", "HTTPServer", Dangerous},
		{"xmlrpc.client", "ServerProxy", Dangerous},
		{"site", "main", Dangerous},
		{"torch.distributed.rpc", "rpc_sync", Dangerous},
		{"_io", "open", Dangerous},
		{"logging", "FileHandler", Dangerous},
		// Protocol 4 resolves dotted names attribute by attribute: a name
		// that walks through a module attribute reaches that module.
		{"posixpath", "os.system", Dangerous},
		{"genericpath", "os.path.os.system", Dangerous},
		{"collections", "sys.modules", Dangerous},
		{"torch", "serialization.load", Dangerous},
		{"inspect", "builtins.eval", Dangerous},
		{"mypkg", "Model.__init__.__globals__", Dangerous},
		{"mypkg", "Outer.Inner", Suspicious},
	}
	for _, tt := range tests {
		if got := Rate(tt.module, tt.name); got != tt.want {
			t.Errorf("Rate(%q, %q) = %v, want %v", tt.module, tt.name, got, tt.want)
		}
	}
}

// TestDenyListCoversPicklescan checks each whole-module entry picklescan and
// the design notes require is denied with its submodules.
func TestDenyListCoversPicklescan(t *testing.T) {
	modules := []string{"os", "nt", "posix", "subprocess", "sys", "socket", "ssl", "shutil",
		"runpy", "pty", "pdb", "bdb", "pickle", "_pickle", "pip", "venv", "ensurepip", "ctypes",
		"asyncio", "aiohttp", "httplib", "requests.api", "urllib.request", "webbrowser", "pydoc",
		"timeit", "profile", "cProfile", "trace", "test", "uuid", "numpy.f2py",
		"distutils.file_util", "_osx_support", "_aix_support", "_pyrepl", "commands",
		"numpy.testing._private.utils"}
	for _, m := range modules {
		for _, mod := range []string{m, m + ".sub"} {
			if got := Rate(mod, "anything"); got != Dangerous {
				t.Errorf("Rate(%q, anything) = %v, want dangerous", mod, got)
			}
		}
	}
}

func TestRulesAreCopies(t *testing.T) {
	rules := DenyRules()
	rules[0].Names[0] = "changed"
	if DenyRules()[0].Names[0] == "changed" {
		t.Fatal("DenyRules returned shared storage")
	}
	if len(AllowRules()) == 0 {
		t.Fatal("AllowRules is empty")
	}
}

func TestSafetyJSON(t *testing.T) {
	for _, s := range []Safety{Innocuous, Suspicious, Dangerous} {
		b, err := json.Marshal(Import{Module: "m", Name: "n", Safety: s})
		if err != nil {
			t.Fatal(err)
		}
		var back Import
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Safety != s {
			t.Errorf("round trip of %v gave %v (%s)", s, back.Safety, b)
		}
	}
	if _, err := json.Marshal(Safety(9)); err == nil {
		t.Error("marshal of invalid safety: got nil error")
	}
	want := `{"module":"os","name":"system","safety":"dangerous"}`
	if b, _ := json.Marshal(Import{"os", "system", Dangerous}); string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
