"""Writes the pickle test corpus into argv[1] and prints a JSON manifest.

Expected imports come from Python itself: each file is loaded by a
pickle._Unpickler whose find_class records (module, name) and returns a
harmless stub, so nothing is ever executed. Hand-assembled files cover what
pickle.dumps never emits (memo tricks, broken tails, unresolvable names).
"""
import collections
import io
import json
import os
import pickle
import pickletools
import struct
import sys

out = sys.argv[1]
cases = []


class Stub:
    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return Stub()

    def __setstate__(self, state):
        pass

    def __reduce__(self):
        return (Stub, ())


TRUSTED = {("collections", "OrderedDict"), ("_codecs", "encode")} | {
    (m, n) for m in ("builtins", "__builtin__")
    for n in ("set", "frozenset", "complex", "bytearray", "bytes", "int", "float", "list", "dict", "tuple")
}


class Recorder(pickle._Unpickler):
    def __init__(self, f, seen):
        super().__init__(f, buffers=[b"x" * 8] * 16)
        self.seen = seen

    def find_class(self, module, name):
        if (module, name) not in self.seen:
            self.seen.append((module, name))
        if (module, name) in TRUSTED:
            return super().find_class(module, name)
        return type("Stub_" + name.replace(".", "_"), (Stub,), {})

    def persistent_load(self, pid):
        return Stub()


def record(data):
    """Imports Python performs loading every pickle in data, and whether it failed."""
    seen, f, failed = [], io.BytesIO(data), False
    while f.tell() < len(data):
        try:
            Recorder(f, seen).load()
        except Exception:
            failed = True
            break
    return seen, failed


def genops_globals(data):
    """GLOBAL/INST arguments as pickletools.genops reports them (first pickle)."""
    found = []
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            if op.name in ("GLOBAL", "INST"):
                found.append(arg.split(" ", 1))
    except Exception:
        pass
    return found


def add(name, data, highest, exact=True, want=None, err=None, contains=None):
    """Writes one case. err defaults to whether Python failed to load the
    data; cases that fail only at run time (a stub called wrongly) say False."""
    path = os.path.join(out, name)
    with open(path, "wb") as f:
        f.write(data)
    seen, failed = record(data)
    cases.append({
        "name": name,
        "file": path,
        "want": [list(x) for x in (want if want is not None else seen)],
        "exact": exact,
        "contains": [list(x) for x in (contains or [])],
        "highest": highest,
        "err": failed if err is None else err,
        "genops": genops_globals(data),
    })


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class EvalEvil:
    def __reduce__(self):
        return (eval, ("1+1",))


benign = {
    "list": [1, 2.5, "text", b"bytes", None, True, False, 2**100, -(2**70)],
    "od": collections.OrderedDict([("a", 1), ("b", (1, 2, 3))]),
    "set": {1, 2},
    "frozen": frozenset({3}),
    "complex": complex(1, 2),
    "ba": bytearray(b"abc"),
    "nested": {"k": [{"x": 1.0}]},
}

for proto in range(0, 6):
    add(f"benign_p{proto}.pkl", pickle.dumps(benign, protocol=proto), "innocuous")
    add(f"os_system_p{proto}.pkl", pickle.dumps({"x": Evil()}, protocol=proto), "dangerous")

add("eval_p2.pkl", pickle.dumps(EvalEvil(), protocol=2), "dangerous")
add("eval_p4.pkl", pickle.dumps([EvalEvil()], protocol=4), "dangerous")
add("ordereddict.pkl", pickle.dumps(collections.OrderedDict(a=1), protocol=4), "innocuous")

# Protocol 5 out-of-band and in-band buffers.
buffers = []
p5 = pickle.dumps([pickle.PickleBuffer(bytearray(b"abcd")), pickle.PickleBuffer(b"ro")],
                  protocol=5, buffer_callback=lambda b: False)
add("p5_buffers.pkl", p5, "innocuous")

# STACK_GLOBAL arguments read back from the memo (MEMOIZE + BINGET).
memo_trick = (b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94" b"00"
              b"h\x00h\x01\x93\x8c\x02id\x85R.")
add("stack_global_memoize.pkl", memo_trick, "dangerous")
# BINPUT/LONG_BINGET and protocol 0 PUT/GET, with FRAME in between.
memo_put = (b"\x80\x04\x95\x30\x00\x00\x00\x00\x00\x00\x00"
            b"\x8c\x08builtinsq\x05" b"Vexec\np7\n" b"00"
            b"j\x05\x00\x00\x00g7\n\x93\x8c\x011\x85R.")
add("stack_global_put_get.pkl", memo_put, "dangerous")
# A memo entry copied from another memo entry.
memo_copy = (b"\x80\x04\x8c\x02osq\x01" b"h\x01q\x02" b"0" b"\x8c\x06systemq\x03" b"0"
             b"h\x02h\x03\x93\x8c\x02id\x85R.")
add("stack_global_memo_copy.pkl", memo_copy, "dangerous")
# The module name is computed by a call: it cannot be resolved statically.
computed = (b"\x80\x04\x8c\x08builtins\x8c\x03str\x93\x8c\x02os\x85R"
            b"\x8c\x06system\x93\x8c\x02id\x85R.")
add("stack_global_computed.pkl", computed, "dangerous", exact=False,
    contains=[("unknown", "system")], err=False)
# A memo key that was never written.
add("stack_global_missing_memo.pkl", b"\x80\x04h\x09\x8c\x06system\x93.", "dangerous",
    exact=False, contains=[("unknown", "system")], err=False)

# Two pickles: the second reads memo entries the first one wrote, and
# MEMOIZE indexes differ between a fresh and a reused Unpickler.
first = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94" b"\x86."
second = (b"\x80\x04\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94" b"00"
          b"h\x00h\x01\x93)R.")
add("memo_across_pickles.pkl", first + second, "dangerous", exact=False,
    contains=[("os", "system"), ("collections", "OrderedDict")])

add("benign_then_evil.pkl", pickle.dumps([1, 2], protocol=2) + pickle.dumps(Evil(), protocol=4),
    "dangerous")
evil4 = pickle.dumps(Evil(), protocol=4)
add("evil_truncated.pkl", evil4[:-1], "dangerous", err=True)
add("evil_then_garbage.pkl", evil4 + b"\xff\xfe garbage", "dangerous", err=True)
add("evil_then_partial.pkl", evil4 + pickle.dumps(benign, protocol=2)[:40], "dangerous", err=True)
add("evil_p0.bin", pickle.dumps(Evil(), protocol=0), "dangerous")

# Submodule of a denied module, and pip.main.
add("asyncio_submodule.pkl", b"casyncio.unix_events\n_UnixSelectorEventLoop\n)R.", "dangerous")
add("pip_main.pkl", b"\x80\x04\x8c\x03pip\x8c\x04main\x93\x8c\x07install\x85\x85R.", "dangerous")
add("inst_subprocess.pkl", b"(S'id'\nisubprocess\ncheck_output\n.", "dangerous")
# A dotted attribute path below a denied name (protocol 4 resolves it).
add("dotted_eval.pkl", b"\x80\x04\x8c\x08builtins\x8c\reval.__call__\x93\x8c\x031+1\x85R.", "dangerous")
# A Python 2 name mapped by fix_imports.
add("py2_builtin.pkl", b"c__builtin__\neval\n(S'1'\ntR.", "dangerous")
# STRING with escapes spelling a denied module.
add("escaped_string.pkl", b"\x80\x04S'o\\x73'\nS'sys\\164em'\n\x93S'id'\n\x85R.", "dangerous")
# A huge bytes payload before the payload.
add("big_bytes_then_evil.pkl",
    b"\x80\x04B" + struct.pack("<I", 8 << 20) + b"\0" * (8 << 20) + b"0" + evil4[2:], "dangerous")
# Unknown suspicious global.
add("suspicious.pkl", b"cmypkg.models\nNet\n)R.", "suspicious")

json.dump(cases, sys.stdout)
