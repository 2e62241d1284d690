"""Writes pickles and .npy files for the modelfile tests into argv[1].

torch and numpy are not needed: fake torch modules make pickle emit the same
globals torch.save does, and .npy files are written by hand (magic, header
dict, then the pickle numpy stores for object arrays).
"""
import collections
import os
import pickle
import struct
import sys
import types

out = sys.argv[1]

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")


class FloatStorage:
    pass


def _rebuild_tensor_v2(*args):
    pass


FloatStorage.__module__ = "torch"
_rebuild_tensor_v2.__module__ = "torch._utils"
torch.FloatStorage = FloatStorage
torch._utils = utils
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"] = torch
sys.modules["torch._utils"] = utils


class Storage:
    def __init__(self, key):
        self.key = key


class Tensor:
    def __init__(self, key):
        self.storage = Storage(key)

    def __reduce__(self):
        return (_rebuild_tensor_v2, (self.storage, 0, (2, 2), (2, 1), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", 4)
        return None


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def torch_pickle(obj, protocol=2):
    import io
    buf = io.BytesIO()
    TorchPickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


state = collections.OrderedDict([("layer.weight", Tensor("0")), ("layer.bias", Tensor("1"))])
write("benign.pkl", torch_pickle(state))
evil = torch_pickle(collections.OrderedDict([("w", Tensor("0")), ("x", Evil())]))
write("evil.pkl", evil)
write("evil_p0.pkl", pickle.dumps(Evil(), protocol=0))
write("evil_broken.pkl", pickle.dumps(Evil(), protocol=4) + b"\x95\xff\xff garbage tail")


def npy(descr, payload, shape="(2,)"):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


write("object_evil.npy", npy("|O", pickle.dumps([Evil(), 1], protocol=3)))
write("object_benign.npy", npy("|O", pickle.dumps([collections.OrderedDict(), 1], protocol=3)))
write("float.npy", npy("<f4", b"\0" * (8 << 20), "(2097152,)"))


# Legacy (pre-1.6) torch.save: five pickles, then each storage as an 8-byte
# element count and raw bytes.
legacy = b"".join([
    pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
    pickle.dumps(1001, protocol=2),
    pickle.dumps({"protocol_version": 1001, "little_endian": True,
                  "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2),
])
storages = struct.pack("<q", 4) + os.urandom(16) + struct.pack("<q", 4) + os.urandom(16)
write("legacy_benign.bin", legacy + torch_pickle(state) + pickle.dumps(["0", "1"], protocol=2) + storages)
write("legacy_evil.bin", legacy + evil + pickle.dumps(["0", "1"], protocol=2) + storages)


# Issue 12: files that pickle.load, torch.load or numpy.load would run code
# from, and that content sniffing once called "not a pickle". Each is checked
# here against CPython's own unpickler: a recording find_class proves the
# dangerous global is resolved and called before anything stops the load.
class Recorder(pickle.Unpickler):
    calls = []

    def find_class(self, module, name):
        if "." in name:  # protocol 4+: resolved attribute by attribute
            obj = __import__(module, fromlist=["_"])
            for part in name.split("."):
                obj = getattr(obj, part)
            target = "%s.%s" % (getattr(obj, "__module__", "?"), getattr(obj, "__name__", "?"))
        else:
            target = "%s.%s" % (module, name)

        def record(*args):
            Recorder.calls.append(target)
        return record


def reaches(data, target):
    import io
    Recorder.calls = []
    try:
        Recorder(io.BytesIO(data)).load()
    except Exception:
        pass  # what ran before the error is what matters
    assert target in Recorder.calls, (target, Recorder.calls, data[:64])
    return data


evil0 = pickle.dumps(Evil(), protocol=0)
write("evil_memo_underscore", reaches(b"Np1_0\n0" + evil0, "posix.system"))
write("evil_int_formfeed", reaches(b"I\x0c1\n0" + evil0, "posix.system"))
evil2 = pickle.dumps(Evil(), protocol=2)
write("evil_then_garbage", reaches(evil2[:-1] + b"\xff\xfe garbage", "posix.system"))
write("evil_then_truncated", reaches(evil2[:-1] + b"\x8c\x40abc", "posix.system"))
dotted = b"\x80\x04\x8c\x09posixpath\x8c\x09os.system\x93\x8c\x0aecho pwned\x85R."
write("evil_dotted", reaches(dotted, "posix.system"))

# A pickle whose first bytes also read as a safetensors header: BINBYTES
# (0x42, 16 bytes) makes the length field 0x1042 and puts '{' at offset 8.
st = b"B" + struct.pack("<I", 16) + b"\0\0\0" + b'{"a": "bbbbbb' + b"0" + evil0
st += b" " * (0x1042 + 8 - len(st))
assert struct.unpack("<Q", st[:8])[0] == 0x1042 and st[8:9] == b"{"
write("evil_safetensors_prefix", reaches(st, "posix.system"))


# Legacy torch.save tar checkpoint: torch.load tries tarfile first and
# unpickles the members "storages", "tensors" and "pickle".
def legacy_tar(obj_pickle):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("sys_info", pickle.dumps({"protocol_version": 1001}, protocol=2)),
                           ("pickle", obj_pickle),
                           ("storages", pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2)),
                           ("tensors", pickle.dumps(0, protocol=2))]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


write("legacy_evil.tar", legacy_tar(reaches(evil2, "posix.system")))
write("legacy_benign.tar", legacy_tar(torch_pickle(state)))


# .npy headers are Python literals (numpy uses ast.literal_eval): double
# quotes, concatenated literals and escapes all name the object dtype.
def npy_header(header, payload):
    import ast
    d = ast.literal_eval(header)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return d, b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


objpayload = pickle.dumps([Evil(), 1], protocol=3)
for name, header, descr in [
    ("npy_double_quotes.npy", '{"descr": "|O", "fortran_order": False, "shape": (2,), }', "|O"),
    ("npy_concat.npy", "{'descr': '|' 'O', 'fortran_order': False, 'shape': (2,), }", "|O"),
    ("npy_escape.npy", "{'descr': '\\x7cO', 'fortran_order': False, 'shape': (2,), }", "|O"),
    ("npy_object_word.npy", "{'descr': 'object', 'fortran_order': False, 'shape': (2,), }", "object"),
    ("npy_structured.npy", "{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (2,), }", [("a", "|O")]),
]:
    d, data = npy_header(header, objpayload)
    assert d["descr"] == descr, (name, d)
    write(name, data)
