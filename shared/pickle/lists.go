package pickle

// Rule names the globals of one module that a list covers. Names holding
// only AnyName cover the whole module and, for the deny list, every
// submodule too (a deny of "asyncio" covers "asyncio.unix_events").
type Rule struct {
	Module string
	Names  []string
	// Why says what the entry guards against or why it is allowed.
	Why string
}

// AnyName in Rule.Names stands for every name of the module.
const AnyName = "*"

// Unknown is the module or name reported for a STACK_GLOBAL argument that
// cannot be resolved statically. Such imports are always Dangerous.
const Unknown = "unknown"

var anyName = []string{AnyName}

// allowRules are imports that the Hub's scanner (picklescan) and torch's
// weights_only loader accept as data-only: containers, tensor and storage
// rebuilders, dtypes.
var allowRules = []Rule{
	{"collections", []string{"OrderedDict", "defaultdict", "Counter", "deque"}, "plain containers"},
	{"builtins", builtinTypes, "plain types (protocol 3+ names)"},
	{"__builtin__", builtinTypes, "plain types (protocol 0-2 names)"},
	{"_codecs", []string{"encode"}, "protocol 2 encodes bytes as _codecs.encode(str, 'latin1')"},
	{"torch", torchAllowed, "storages, Size, device, dtypes, layouts, memory formats"},
	{"torch._utils", []string{
		"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3",
		"_rebuild_parameter", "_rebuild_parameter_with_state",
		"_rebuild_sparse_tensor", "_rebuild_sparse_csr_tensor", "_rebuild_qtensor",
		"_rebuild_device_tensor_from_numpy", "_rebuild_meta_tensor_no_storage",
		"_rebuild_wrapper_subclass", "_rebuild_nested_tensor",
	}, "tensor rebuilders used by torch.save"},
	{"torch._tensor", []string{"_rebuild_from_type_v2"}, "tensor subclass rebuild (its function is imported and rated separately)"},
	{"torch.serialization", []string{"_get_layout"}, "layout lookup by name"},
	{"numpy", []string{"dtype", "ndarray"}, "arrays"},
	{"numpy.core.multiarray", []string{"_reconstruct", "scalar"}, "array and scalar rebuild"},
	{"numpy._core.multiarray", []string{"_reconstruct", "scalar"}, "array and scalar rebuild (numpy 2)"},
}

var builtinTypes = []string{
	"set", "frozenset", "slice", "range", "complex", "bytearray", "bytes",
	"int", "float", "bool", "str", "list", "tuple", "dict",
}

var torchAllowed = []string{
	// Legacy typed storages (picklescan's list).
	"LongStorage", "FloatStorage", "HalfStorage", "QUInt2x4Storage", "QUInt4x2Storage",
	"QInt32Storage", "QInt8Storage", "QUInt8Storage", "ComplexFloatStorage",
	"ComplexDoubleStorage", "DoubleStorage", "BFloat16Storage", "BoolStorage",
	"CharStorage", "ShortStorage", "IntStorage", "ByteStorage", "UntypedStorage",
	"Size", "device",
	// dtypes
	"float32", "float", "float64", "double", "float16", "half", "bfloat16",
	"complex32", "chalf", "complex64", "cfloat", "complex128", "cdouble",
	"uint8", "uint16", "uint32", "uint64", "int8", "int16", "short", "int32", "int",
	"int64", "long", "bool", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
	"float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
	// layouts and memory formats
	"strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn",
	"contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
	"per_tensor_affine", "per_channel_affine", "per_tensor_symmetric",
	"per_channel_symmetric", "per_channel_affine_float_qparams",
}

// denyRules is picklescan's _unsafe_globals (2026) plus gadgets it misses.
// A name entry also covers attribute paths below it: protocol 4 resolves
// dotted names, so "eval.__call__" is as dangerous as "eval".
var denyRules = []Rule{
	{"builtins", dangerousBuiltins, "code execution, attribute and import gadgets"},
	{"__builtin__", dangerousBuiltins, "the same under protocol 0-2 names"},
	{"exceptions", dangerousBuiltins, "Python 2 alias mapped to builtins"},

	// Whole modules (picklescan).
	{"os", anyName, "os.system and friends"},
	{"nt", anyName, "os on Windows"},
	{"posix", anyName, "os on Linux"},
	{"subprocess", anyName, "process execution"},
	{"commands", anyName, "Python 2 subprocess"},
	{"sys", anyName, "interpreter internals (sys.modules...)"},
	{"socket", anyName, "network access"},
	{"ssl", anyName, "DNS exfiltration via get_server_certificate"},
	{"shutil", anyName, "file system changes"},
	{"runpy", anyName, "runs code"},
	{"pty", anyName, "pty.spawn runs commands"},
	{"pdb", anyName, "debugger runs code"},
	{"bdb", anyName, "debugger runs code"},
	{"pickle", anyName, "nested unpickling"},
	{"_pickle", anyName, "nested unpickling"},
	{"pip", anyName, "pip.main installs packages"},
	{"venv", anyName, "creates environments, runs pip"},
	{"ensurepip", anyName, "runs pip"},
	{"ctypes", anyName, "foreign function calls, raw memory"},
	{"asyncio", anyName, "subprocess and network helpers"},
	{"aiohttp", anyName, "network access"},
	{"httplib", anyName, "Python 2 http.client"},
	{"requests.api", anyName, "network access"},
	{"urllib.request", anyName, "SSRF and exfiltration"},
	{"webbrowser", anyName, "webbrowser.open runs a browser"},
	{"pydoc", anyName, "pydoc.locate imports anything, pipepager runs commands"},
	{"timeit", anyName, "runs code strings"},
	{"profile", anyName, "run/runctx exec strings"},
	{"cProfile", anyName, "run/runctx exec strings"},
	{"trace", anyName, "Trace.run execs strings"},
	{"test", anyName, "test.support spawns interpreters"},
	{"uuid", anyName, "_get_command_stdout runs commands"},
	{"numpy.f2py", anyName, "evals strings"},
	{"numpy.testing._private.utils", anyName, "runstring is exec"},
	{"distutils.file_util", anyName, "arbitrary file write"},
	{"_osx_support", anyName, "runs commands"},
	{"_aix_support", anyName, "runs commands"},
	{"_pyrepl", anyName, "pager helpers run commands"},

	// Whole modules (ours, beyond picklescan).
	{"_posixsubprocess", anyName, "fork_exec"},
	// From the review of fickling's UNSAFE_IMPORTS (docs/scanning.md).
	{"_frozen_importlib", anyName, "import machinery"},
	{"_frozen_importlib_external", anyName, "import machinery: loaders run module files"},
	{"_imp", anyName, "import machinery: create_dynamic loads native code"},
	{"pkgutil", anyName, "resolve_name, get_importer, get_data: imports and reads anything"},
	{"unittest", anyName, "main and loaders import and run modules; mock calls anything"},
	{"inspect", anyName, "getattr_static and friends reach any attribute"},
	{"http", anyName, "client connects, server serves, cookiejar writes files"},
	{"requests", anyName, "network access"},
	{"distutils", anyName, "spawn runs commands, file_util writes files"},
	{"pexpect", anyName, "spawns commands"},
	{"pipes", anyName, "Template runs shell commands"},
	{"_signal", anyName, "installs callables as handlers"},
	{"_sqlite3", anyName, "creates files, loads extensions"},
	{"mmap", anyName, "maps and writes files"},
	{"__builtins__", anyName, "builtins under another name"},
	{"_interpreters", anyName, "subinterpreters: run_string, exec, call run code (3.13+)"},
	{"_xxsubinterpreters", anyName, "subinterpreters: run_string runs code (3.8-3.12)"},
	{"_xxinterpchannels", anyName, "subinterpreter channels"},
	{"_interpchannels", anyName, "subinterpreter channels"},
	{"_interpqueues", anyName, "subinterpreter queues"},
	{"concurrent.interpreters", anyName, "subinterpreters (3.14+): exec, call"},
	{"interpreters", anyName, "PyPI backport of concurrent.interpreters"},
	{"_xxtestfuzz", anyName, "test-only native module"},
	{"_testcapi", anyName, "raw C API access"},
	{"_testinternalcapi", anyName, "raw interpreter internals"},
	{"_winapi", anyName, "CreateProcess"},
	{"_ctypes", anyName, "ctypes internals"},
	{"_socket", anyName, "network access"},
	{"_ssl", anyName, "network access"},
	{"_thread", []string{"start_new_thread", "start_new"}, "runs callables"},
	{"code", anyName, "interactive interpreter runs code"},
	{"marshal", anyName, "loads code objects"},
	{"importlib", anyName, "imports arbitrary modules"},
	{"imp", anyName, "imports arbitrary modules"},
	{"zipimport", anyName, "imports code from zip files"},
	{"multiprocessing", anyName, "spawns processes"},
	{"http.client", anyName, "network access (httplib under fix_imports)"},
	{"urllib3", anyName, "network access"},
	{"httpx", anyName, "network access"},
	{"ftplib", anyName, "connects on construction"},
	{"smtplib", anyName, "connects on construction"},
	{"telnetlib", anyName, "connects on construction"},
	{"poplib", anyName, "connects on construction"},
	{"nntplib", anyName, "connects on construction"},
	{"imaplib", anyName, "IMAP4_stream runs a shell command"},
	{"logging.config", anyName, "fileConfig/listen evaluate configuration"},
	{"logging.handlers", anyName, "file and socket handlers"},
	{"dill", anyName, "rebuilds code objects and functions"},
	{"cloudpickle", anyName, "rebuilds code objects and functions"},
	{"numpy.distutils", anyName, "exec_command"},
	{"idlelib", anyName, "run/pyshell/calltip gadgets execute code"},
	{"lib2to3", anyName, "grammar loaders unpickle, pgen evals"},
	{"codeop", anyName, "compiles code"},
	{"py_compile", anyName, "compiles and writes files"},
	{"compileall", anyName, "compiles and writes files"},
	{"mailcap", anyName, "findmatch builds shell commands"},
	{"platform", anyName, "_syscmd_file and friends run commands"},
	{"concurrent.futures", anyName, "process and thread pools run callables"},
	{"signal", anyName, "installs callables as handlers"},
	{"sqlite3", anyName, "creates files, loads extensions"},
	{"dbm", anyName, "creates files"},
	{"tarfile", anyName, "extraction writes anywhere"},
	{"zipfile", anyName, "extraction writes files"},
	{"tempfile", anyName, "creates files"},
	{"fileinput", anyName, "opens files, hooks run callables"},
	{"http.server", anyName, "network servers, CGI runs commands"},
	{"socketserver", anyName, "network servers"},
	{"xmlrpc", anyName, "network access"},
	{"wsgiref", anyName, "network servers"},
	{"site", anyName, "main and addsitedir execute .pth lines"},
	{"threading", anyName, "Thread and Timer run callables"},
	{"torch.fx.graph_module", anyName, "_exec_with_source, reduce_graph_module and _forward_from_src exec source text"},
	{"torch.utils.cpp_extension", anyName, "load and load_inline compile and load native code"},
	{"torch._inductor.codecache", anyName, "compiles and loads generated code"},
	{"torch.package", anyName, "PackageImporter imports code from a package"},
	{"torch.distributed", anyName, "rpc runs callables remotely, network access"},
	{"torch.multiprocessing", anyName, "spawns processes"},
	{"numpy.lib.format", []string{"read_array", "open_memmap"}, "unpickles object arrays from files"},
	{"numpy.lib._npyio_impl", []string{"load"}, "loads pickles from files"},

	// Named gadgets.
	{"functools", []string{"partial", "partialmethod", "reduce"}, "wraps any callable"},
	{"_functools", []string{"partial", "reduce"}, "wraps any callable"},
	{"types", []string{"CodeType", "FunctionType", "LambdaType", "MethodType"}, "builds code and functions"},
	{"operator", operatorGadgets, "attribute and call gadgets"},
	{"_operator", operatorGadgets, "attribute and call gadgets"},
	{"pkgutil", []string{"resolve_name", "get_importer"}, "resolves any module:attribute"},
	{"logging", []string{"FileHandler"}, "creates files"},
	{"_io", []string{"FileIO", "open", "open_code"}, "file access bypassing builtins.open"},
	{"io", []string{"FileIO", "open", "open_code"}, "file access"},
	{"_pyio", []string{"FileIO", "open", "open_code"}, "file access"},
	{"codecs", []string{"open"}, "file access"},
	{"atexit", []string{"register"}, "runs a callable at exit"},
	{"shelve", []string{"open", "DbfilenameShelf"}, "opens and unpickles a file"},
	{"doctest", []string{"debug_script", "debug_src", "debug", "run_docstring_examples", "testfile", "script_from_examples"}, "runs code"},
	{"cloudpickle.cloudpickle", cloudpickleHelpers, "function reconstruction"},
	{"cloudpickle.cloudpickle_fast", cloudpickleHelpers, "function reconstruction"},
	{"requests", []string{"get", "post", "put", "patch", "delete", "head", "options", "request"}, "network access"},
	{"torch", []string{"load", "hub"}, "loads another pickle"},
	{"torch.serialization", []string{"load", "_load", "_legacy_load"}, "loads another pickle"},
	{"torch.storage", []string{"_load_from_bytes"}, "calls torch.load"},
	{"torch.hub", []string{"load", "load_state_dict_from_url", "download_url_to_file", "_load_local"}, "downloads and runs code"},
	{"torch.jit", []string{"load"}, "loads TorchScript code"},
	{"torch._dynamo.guards", []string{"GuardBuilder.get"}, "evaluates strings"},
	{"torch.fx.experimental.symbolic_shapes", []string{"ShapeEnv.evaluate_guards_expression"}, "evaluates strings"},
	{"torch.jit.unsupported_tensor_ops", []string{"execWrapper"}, "exec"},
	{"torch.utils._config_module", []string{"ConfigModule.load_config"}, "pickle inside a pickle"},
	{"torch.utils.bottleneck.__main__", []string{"run_cprofile", "run_autograd_prof"}, "runs code"},
	{"torch.utils.collect_env", []string{"run"}, "runs commands"},
	{"torch.utils.data.datapipes.utils.decoder", []string{"basichandlers"}, "pickle inside a pickle"},
	{"numpy", []string{"load", "loads", "fromfile"}, "loads pickles from files"},
	{"numpy.lib.npyio", []string{"load"}, "loads pickles from files"},
	{"numpy.ctypeslib", []string{"load_library"}, "loads shared libraries"},
	{"pandas", []string{"read_pickle"}, "loads another pickle"},
	{"pandas.io.pickle", []string{"read_pickle"}, "loads another pickle"},
	{"joblib", []string{"load"}, "loads another pickle"},
}

var dangerousBuiltins = []string{
	"eval", "exec", "execfile", "compile", "getattr", "setattr", "delattr",
	"apply", "open", "breakpoint", "__import__", "globals", "locals", "vars",
	"input", "raw_input", "reload", "help",
}

var operatorGadgets = []string{"attrgetter", "itemgetter", "methodcaller", "call"}

var cloudpickleHelpers = []string{
	"_builtin_type", "_make_function", "_function_setstate", "_make_cell",
	"_make_empty_cell", "subimport", "dynamic_subimport", "_make_skeleton_class",
	"_class_setstate", "_make_dict_keys", "_make_dict_values", "_make_dict_items",
}

// compatModules mirrors Python's _compat_pickle.IMPORT_MAPPING for modules
// that matter to the lists: protocol 0-2 pickles name Python 2 modules and
// the unpickler maps them (fix_imports).
var compatModules = map[string]string{
	"__builtin__":  "builtins",
	"exceptions":   "builtins",
	"copy_reg":     "copyreg",
	"cPickle":      "pickle",
	"commands":     "subprocess",
	"httplib":      "http.client",
	"urllib2":      "urllib.request",
	"SocketServer": "socketserver",
	"cStringIO":    "io",
	"StringIO":     "io",
	"UserDict":     "collections",
	"UserList":     "collections",
	"thread":       "_thread",
	"Queue":        "queue",
	"repr":         "reprlib",
	"_winreg":      "winreg",
}

// compatNames mirrors the relevant entries of _compat_pickle.NAME_MAPPING.
var compatNames = map[[2]string][2]string{
	{"__builtin__", "xrange"}:     {"builtins", "range"},
	{"__builtin__", "reduce"}:     {"functools", "reduce"},
	{"__builtin__", "intern"}:     {"sys", "intern"},
	{"__builtin__", "unichr"}:     {"builtins", "chr"},
	{"__builtin__", "unicode"}:    {"builtins", "str"},
	{"__builtin__", "long"}:       {"builtins", "int"},
	{"__builtin__", "basestring"}: {"builtins", "str"},
	{"itertools", "izip"}:         {"builtins", "zip"},
	{"itertools", "imap"}:         {"builtins", "map"},
	{"itertools", "ifilter"}:      {"builtins", "filter"},
	{"urllib", "urlopen"}:         {"urllib.request", "urlopen"},
	{"urllib", "urlretrieve"}:     {"urllib.request", "urlretrieve"},
	{"os", "getcwdu"}:             {"os", "getcwd"},
}

// AllowRules returns a copy of the allow list: imports rated Innocuous.
func AllowRules() []Rule { return cloneRules(allowRules) }

// DenyRules returns a copy of the deny list: imports rated Dangerous.
func DenyRules() []Rule { return cloneRules(denyRules) }

func cloneRules(rules []Rule) []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = Rule{Module: r.Module, Names: append([]string(nil), r.Names...), Why: r.Why}
	}
	return out
}
