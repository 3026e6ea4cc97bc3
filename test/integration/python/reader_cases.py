"""Reads the files named on the command line with featurescope_client.read_npy / read_safetensors
and prints, per file, every tensor as {dtype, shape, values} (values as nested lists), or the
FormatError it raised. With numpy available (and not hidden by FEATURESCOPE_TEST_HIDE_NUMPY=1),
each .npy is also loaded with numpy.load and `numpyAgrees` says whether the two match exactly."""

import json
import os
import sys

hide = os.environ.get("FEATURESCOPE_TEST_HIDE_NUMPY") == "1"
if hide:
    sys.modules["numpy"] = None

from featurescope_client import FormatError, read_npy, read_safetensors

try:
    import numpy as np
except ImportError:
    np = None


def describe(value):
    if np is not None and isinstance(value, np.ndarray):
        return {"kind": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape), "values": value.tolist()}
    return {"kind": type(value).__name__, "values": value}


out = {}
for path in sys.argv[1:]:
    name = os.path.basename(path)
    try:
        if path.endswith(".npy"):
            value = read_npy(path)
            out[name] = {"array": describe(value)}
            if np is not None:
                out[name]["numpyAgrees"] = bool(np.array_equal(np.load(path), value)) and np.load(path).dtype == value.dtype
        else:
            tensors, metadata = read_safetensors(path, with_metadata=True)
            out[name] = {"tensors": {k: describe(v) for k, v in tensors.items()}, "order": list(tensors), "metadata": metadata}
    except FormatError as e:
        out[name] = {"error": str(e)}
print(json.dumps(out))
