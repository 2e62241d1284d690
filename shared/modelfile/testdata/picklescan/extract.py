"""Extracts the expected result of every committed sample from picklescan's
own tests/test_scanner.py, by running its test functions against a stub
picklescan that records what each test expects instead of scanning.

usage: python3 extract.py <picklescan checkout>/tests > expected.json
"""
import importlib.util
import json
import os
import sys
import types
from dataclasses import dataclass, field
from enum import Enum

tests = sys.argv[1]


class SafetyLevel(Enum):
    Innocuous = "innocuous"
    Suspicious = "suspicious"
    Dangerous = "dangerous"


@dataclass
class Global:
    module: str
    name: str
    safety: SafetyLevel


@dataclass
class ScanResult:
    globals: list
    scanned_files: int = 0
    issues_count: int = 0
    infected_files: int = 0
    scan_err: bool = False
    suspicious_count: int = 0


def by_path(p, *a, **k):
    return os.path.relpath(p, tests)


def by_name(f, name, *a, **k):
    # scan_numpy(io.BytesIO(...), "object_array.npy") names the sample by
    # its base name: find it under data/ or data2/.
    if hasattr(f, "name"):
        return os.path.relpath(f.name, tests)
    base = os.path.basename(name)
    for d in ("data", "data2"):
        if os.path.exists(os.path.join(tests, d, base)):
            return f"{d}/{base}"
    raise FileNotFoundError(name)


sc = types.ModuleType("picklescan.scanner")
for n in ("Global", "SafetyLevel", "ScanResult"):
    setattr(sc, n, globals()[n])
sc.ScanFilter = object
for n in ("_http_get", "_list_globals", "_build_scan_result_from_raw_globals", "scan_zip_bytes",
          "scan_directory_path", "scan_url", "scan_huggingface_model"):
    setattr(sc, n, lambda *a, **k: None)
sc.scan_file_path = by_path
sc.scan_numpy = sc.scan_pytorch = sc.scan_pickle_bytes = by_name
cli = types.ModuleType("picklescan.cli")
cli.main = lambda: 0
pkg = types.ModuleType("picklescan")
sys.modules.update({"picklescan": pkg, "picklescan.scanner": sc, "picklescan.cli": cli,
                    "pytest": types.ModuleType("pytest")})

spec = importlib.util.spec_from_file_location("test_scanner", os.path.join(tests, "test_scanner.py"))
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)

out = {}


def record(path, want):
    if not isinstance(path, str):
        return
    e = out.setdefault(path, {"dangerous": [], "others": [], "scanErr": False})
    for g in want.globals:
        key = f"{g.module}.{g.name}"
        lst = e["dangerous"] if g.safety == SafetyLevel.Dangerous else e["others"]
        if key not in lst:
            lst.append(key)
    e["scanErr"] = e["scanErr"] or want.scan_err


mod.compare_scan_results = record
for name in ("test_scan_numpy", "test_scan_pytorch", "test_scan_file_path", "test_scan_file_path_npz",
             "test_invalid_bytes_err", "test_not_a_pickle_file"):
    getattr(mod, name)()
# Samples picklescan checks only in test_scan_directory_path, whose expected
# globals are one list for the whole of tests/data: each sample's share of
# that list, by reading the sample's own opcodes (pickletools.dis).
AGGREGATE = {
    "data/benign0_v0.pkl": ([], []),
    "data/benign0_v4.pkl": ([], []),
    "data/benign_password_protected.zip": ([], []),
    "data/broken_model.pkl": (["builtins.exec"], []),
    "data/malicious11.pkl": (["os.system"], []),
    "data/malicious12.pkl": (["operator.attrgetter"], ["builtins.__import__"]),
    "data/malicious13a.pkl": (["pickle.loads"], ["_codecs.encode"]),
    "data/malicious13b.pkl": (["_pickle.loads"], []),
    "data/malicious15a.pkl": (["bdb.Bdb", "__builtin__.getattr"], []),
    "data/malicious15b.pkl": (["bdb.Bdb", "bdb.Bdb.run"], []),
    "data/malicious16.pkl": (["pip.main"], []),
    "data/malicious17.pkl": (["torch._inductor.codecache.compile_file"], []),
    "data/malicious18.pkl": (["pydoc.pipepager"], []),
    "data/malicious19.pkl": (["functools.partial", "torch.serialization.load"], []),
    "data/malicious20.pkl": (["venv.create"], []),
    "data/new_pytorch_model.bin": ([], ["torch.FloatStorage", "collections.OrderedDict", "torch._utils._rebuild_tensor_v2"]),
    "data/sys_module_override_sploit.pkl": (["_rebuild_tensor.unknown"], ["torch._utils._rebuild_tensor", "torch._utils"]),
}
for path, (d, o) in AGGREGATE.items():
    assert path not in out, path
    out[path] = {"dangerous": d, "others": o, "scanErr": path == "data/broken_model.pkl", "from": "test_scan_directory_path"}
json.dump(dict(sorted(out.items())), sys.stdout, indent=1)
print()
