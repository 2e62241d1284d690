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
