"""Writes the ONNX and HDF5 part of the model-format corpus into argv[1],
built with the real libraries (Debian python3-onnx, python3-h5py)."""
import base64, json, os, sys

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]


def path(name):
    return os.path.join(out, name)


def external(t, location):
    # What onnx.save_model(..., save_as_external_data=True) writes.
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "16")):
        e = t.external_data.add()
        e.key, e.value = k, v


def model(initializers, nodes=None, opsets=None):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    nodes = nodes or [helper.make_node("Add", ["x", initializers[0].name], ["y"], name="add0")]
    g = helper.make_graph(nodes, "g", [x], [y], initializer=initializers)
    return helper.make_model(g, producer_name="trustlayer-corpus", opset_imports=opsets or [helper.make_opsetid("", 13)])


def weight(name="w"):
    return numpy_helper.from_array(np.ones((2, 2), dtype=np.float32), name)


def save(m, name):
    onnx.save_model(m, path(name))


# Benign: inline weights; external weights beside the model; in a sub-folder.
save(model([weight()]), "onnx_inline.onnx")
for name, loc in (("onnx_external.onnx", "onnx_external.onnx.data"), ("onnx_external_subdir.onnx", "weights/w.bin")):
    w = weight()
    external(w, loc)
    save(model([w]), name)
with open(path("onnx_external.onnx.data"), "wb") as f:
    f.write(np.ones((2, 2), dtype=np.float32).tobytes())

# Malicious locations.
for name, loc in (
    ("onnx_traversal.onnx", "../../etc/passwd"),
    ("onnx_bypass.onnx", "weights/../../../../../../../../etc/passwd"),  # CVE-2024-27318: survives lstrip("/.")
    ("onnx_absolute.onnx", "/etc/passwd"),
    ("onnx_backslash.onnx", "..\\..\\windows\\win.ini"),
):
    w = weight()
    external(w, loc)
    save(model([w]), name)

# A traversal hidden in a subgraph (If's then_branch) and in a Constant's
# attribute tensor.
inner_w = weight("inner")
external(inner_w, "../../../root/.ssh/id_rsa")
then_g = helper.make_graph([helper.make_node("Identity", ["inner"], ["t"], name="then_id")], "then", [],
                           [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 2])], initializer=[inner_w])
else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"], name="else_id")], "else", [],
                           [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2, 2])])
cond = numpy_helper.from_array(np.array(True), "cond")
if_node = helper.make_node("If", ["cond"], ["y"], name="if0", then_branch=then_g, else_branch=else_g)
save(model([cond], nodes=[if_node]), "onnx_subgraph_traversal.onnx")

const_t = weight("const_value")
external(const_t, "/proc/self/environ")
const_node = helper.make_node("Constant", [], ["c"], name="const0", value=const_t)
add_node = helper.make_node("Add", ["x", "c"], ["y"], name="add0")
save(model([weight()], nodes=[const_node, add_node]), "onnx_attribute_tensor.onnx")

# A custom operator domain (caution).
custom = helper.make_node("EvilOp", ["x"], ["y"], name="custom0", domain="com.example.custom")
save(model([weight()], nodes=[custom], opsets=[helper.make_opsetid("", 13), helper.make_opsetid("com.example.custom", 1)]),
     "onnx_custom_domain.onnx")


# HDF5: Keras-style files.
def keras_config(layers):
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}


dense = {"class_name": "Dense", "config": {"name": "dense", "units": 2, "activation": "relu"}}
code = base64.b64encode(b"\xe3fake marshal of: lambda x: __import__('os').system('id')").decode()
lam = {"class_name": "Lambda", "config": {"name": "evil_lambda", "function": [code, None, None],
                                          "function_type": "lambda", "module": "__main__"}}


def h5(name, config, as_bytes=False, libver=None, userblock=0, extra_attrs=0, dataset_named=None):
    kw = {}
    if libver:
        kw["libver"] = libver
    if userblock:
        kw["userblock_size"] = userblock
    with h5py.File(path(name), "w", **kw) as f:
        for i in range(extra_attrs):
            f.attrs["filler_%d" % i] = "x" * 100
        if config is not None:
            text = json.dumps(config)
            f.attrs["model_config"] = np.bytes_(text.encode()) if as_bytes else text
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        g = f.create_group("model_weights")
        g.create_dataset(dataset_named or "dense/kernel", data=np.ones((4, 4), dtype=np.float32))


h5("h5_weights_only.h5", None)
h5("h5_keras_ok.h5", keras_config([dense]))
h5("h5_keras_ok_bytes.h5", keras_config([dense]), as_bytes=True)
h5("h5_keras_ok_named_lambda_dataset.h5", keras_config([dense]), dataset_named="Lambda/__lambda__ evil_lambda")
h5("h5_keras_lambda.h5", keras_config([dense, lam]))
h5("h5_keras_lambda_bytes.h5", keras_config([dense, lam]), as_bytes=True)
h5("h5_keras_lambda_latest.h5", keras_config([dense, lam]), libver="latest")
h5("h5_keras_lambda_userblock.h5", keras_config([dense, lam]), userblock=512)
h5("h5_keras_lambda_continuation.h5", keras_config([dense, lam]), extra_attrs=40)
h5("h5_keras_lambda_dense_storage.h5", keras_config([dense, lam]), libver="latest", extra_attrs=40)
