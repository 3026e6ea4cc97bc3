#!/usr/bin/python3
"""Writes the small file-format fixtures under test/fixtures/formats/ with an independent writer.

Run with Debian's interpreter (it has numpy):  /usr/bin/python3 scripts/reference/make_format_fixtures.py

safetensors bytes are laid out by hand here (the `safetensors` package is not installed) from
the published layout: u64 LE header length, JSON header padded with spaces, data section.
npz files come from numpy's own savez / savez_compressed, plus a few hand-made bad zips.
Expected values go to *.expected.json as hex of little-endian float32/int bit patterns, so the
TypeScript tests compare bits, not printed decimals.
"""

import io
import json
import os
import struct
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "formats")
rng = np.random.default_rng(1234)


def f32_hex(a):
    return np.ascontiguousarray(a, dtype="<f4").tobytes().hex()


def write_safetensors(path, tensors, metadata=None, pad_to=8):
    """tensors: list of (name, dtype_str, shape, raw little-endian bytes)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % pad_to)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)


def bf16_bits_from_f32(a):
    """Round-to-nearest-even f32 → bf16 bit patterns (what torch does), as uint16."""
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype("<u2")


def make_safetensors():
    w32 = rng.standard_normal((3, 5)).astype("<f4")
    # Every class of half value: ±0, smallest/largest subnormal, smallest normal, 1, max, ±inf, NaNs.
    f16_bits = np.array(
        [0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF, 0x3555, 0x0200],
        dtype="<u2",
    )
    f16_as_f32 = f16_bits.view("<f2").astype("<f4")  # numpy's widening is exact
    bf_source = rng.standard_normal(12).astype("<f4")
    bf_source[0:4] = [np.inf, -np.inf, 0.0, -0.0]
    bf16_bits = bf16_bits_from_f32(bf_source)
    bf16_bits = np.concatenate([bf16_bits, np.array([0x0001, 0x8001, 0x7FC1, 0x007F], dtype="<u2")])  # subnormals, NaN
    bf16_as_f32 = (bf16_bits.astype("<u4") << 16).view("<f4")
    f64 = np.array([1 / 3, -2.5, 1e-40, 1e300, 0.1, 16777217.0], dtype="<f8")
    with np.errstate(over="ignore"):  # 1e300 becomes inf in f32, as intended
        f64_narrowed = f64.astype("<f4")
    i32 = np.array([[1, -2], [2**31 - 1, -(2**31)]], dtype="<i4")
    i64 = np.array([2**53 + 1, -1], dtype="<i8")
    u8 = np.arange(7, dtype="u1")
    scalar = np.array(3.25, dtype="<f4")
    empty = np.zeros((0, 4), dtype="<f4")

    tensors = [
        ("blocks.0.attn.W_Q", "F32", w32.shape, w32.tobytes()),
        ("half_specials", "F16", f16_bits.shape, f16_bits.tobytes()),
        ("bf16_values", "BF16", bf16_bits.shape, bf16_bits.tobytes()),
        ("doubles", "F64", f64.shape, f64.tobytes()),
        ("ints32", "I32", i32.shape, i32.tobytes()),
        ("ints64", "I64", i64.shape, i64.tobytes()),
        ("bytes", "U8", u8.shape, u8.tobytes()),
        ("scalar", "F32", (), scalar.tobytes()),
        ("empty", "F32", empty.shape, empty.tobytes()),
        ("__proto__", "F32", (1,), np.array([7.0], dtype="<f4").tobytes()),
    ]
    write_safetensors(os.path.join(OUT, "reference.safetensors"), tensors, metadata={"format": "pt", "note": "ünïcode ✓"})
    expected = {
        "metadata": {"format": "pt", "note": "ünïcode ✓"},
        "tensors": {
            "blocks.0.attn.W_Q": {"dtype": "F32", "shape": [3, 5], "f32": f32_hex(w32)},
            "half_specials": {"dtype": "F16", "shape": [16], "f32": f32_hex(f16_as_f32)},
            "bf16_values": {"dtype": "BF16", "shape": [16], "f32": f32_hex(bf16_as_f32)},
            "doubles": {"dtype": "F64", "shape": [6], "f32": f32_hex(f64_narrowed)},
            "ints32": {"dtype": "I32", "shape": [2, 2], "raw": i32.tobytes().hex()},
            "ints64": {"dtype": "I64", "shape": [2], "raw": i64.tobytes().hex()},
            "bytes": {"dtype": "U8", "shape": [7], "raw": u8.tobytes().hex()},
            "scalar": {"dtype": "F32", "shape": [], "f32": f32_hex(scalar)},
            "empty": {"dtype": "F32", "shape": [0, 4], "f32": ""},
            "__proto__": {"dtype": "F32", "shape": [1], "f32": f32_hex(np.array([7.0]))},
        },
    }
    with open(os.path.join(OUT, "reference.safetensors.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)

    # A sharded model folder in Hugging Face layout.
    shard_dir = os.path.join(OUT, "sharded_model")
    os.makedirs(shard_dir, exist_ok=True)
    a = rng.standard_normal((4, 2)).astype("<f4")
    b = rng.standard_normal(3).astype("<f2")
    c = rng.standard_normal((2, 2)).astype("<f4")
    write_safetensors(
        os.path.join(shard_dir, "model-00001-of-00002.safetensors"),
        [("wte.weight", "F32", a.shape, a.tobytes()), ("ln_f.bias", "F16", b.shape, b.tobytes())],
        metadata={"format": "pt"},
    )
    write_safetensors(os.path.join(shard_dir, "model-00002-of-00002.safetensors"), [("h.0.mlp.c_fc.weight", "F32", c.shape, c.tobytes())])
    index = {
        "metadata": {"total_size": a.nbytes + b.nbytes + c.nbytes},
        "weight_map": {
            "wte.weight": "model-00001-of-00002.safetensors",
            "ln_f.bias": "model-00001-of-00002.safetensors",
            "h.0.mlp.c_fc.weight": "model-00002-of-00002.safetensors",
        },
    }
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
    with open(os.path.join(OUT, "sharded_model.expected.json"), "w") as f:
        json.dump(
            {
                "wte.weight": {"dtype": "F32", "shape": [4, 2], "f32": f32_hex(a)},
                "ln_f.bias": {"dtype": "F16", "shape": [3], "f32": f32_hex(b.astype("<f4"))},
                "h.0.mlp.c_fc.weight": {"dtype": "F32", "shape": [2, 2], "f32": f32_hex(c)},
            },
            f,
            indent=1,
        )


def fixed_info(name, compress_type=zipfile.ZIP_STORED):
    """A zip entry with a fixed timestamp, so regenerating gives identical bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compress_type
    return info


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def npz_expected(arrays):
    out = {}
    for name, arr in arrays.items():
        entry = {"shape": list(arr.shape), "dtype": arr.dtype.str}
        # Values in C order, widened to the reader's output type.
        if arr.dtype == np.dtype("<f8"):
            entry["f64"] = np.ascontiguousarray(arr).tobytes().hex()
        elif arr.dtype.kind == "f":
            entry["f32"] = f32_hex(np.ascontiguousarray(arr).astype("<f4"))
        elif arr.dtype == np.dtype("<i8"):
            entry["i64"] = np.ascontiguousarray(arr).astype("<i8").tobytes().hex()
        elif arr.dtype == np.dtype("|u1"):
            entry["u8"] = np.ascontiguousarray(arr).tobytes().hex()
        else:
            entry["i32"] = np.ascontiguousarray(arr).astype("<i4").tobytes().hex()
        out[name] = entry
    return out


def make_npz():
    # Gemma Scope params.npz names, tiny sizes, plus every supported dtype and layout.
    arrays = {
        "W_enc": rng.standard_normal((4, 6)).astype("<f4"),
        "W_dec": rng.standard_normal((6, 4)).astype("<f4"),
        "b_enc": rng.standard_normal(6).astype("<f4"),
        "b_dec": rng.standard_normal(4).astype("<f4"),
        "threshold": np.abs(rng.standard_normal(6)).astype("<f4"),
        "half": np.array([1.5, -0.0, 65504.0, 6e-8, np.inf], dtype="<f2"),
        "double": np.array([[1 / 3, 1e-45], [2.0, -7.25]], dtype="<f8"),
        "int32": np.array([-5, 0, 2**31 - 1], dtype="<i4"),
        "int64": np.array([[2**40, -3]], dtype="<i8"),
        "uint8": np.array([0, 255, 17], dtype="|u1"),
        "fortran": np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4)),
        "scalar": np.array(2.5, dtype="<f4"),
    }
    np.savez(os.path.join(OUT, "params_stored.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "params_deflate.npz"), **arrays)
    with open(os.path.join(OUT, "params.expected.json"), "w") as f:
        json.dump(npz_expected(arrays), f, indent=1)

    # Zip64 records on a small file: lower zipfile's limits so it writes zip64 extra fields in
    # the central directory and a zip64 end-of-central-directory record, as a >4 GiB npz has.
    saved = (zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT)
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 64, 1
    try:
        with zipfile.ZipFile(os.path.join(OUT, "params_zip64.npz"), "w", allowZip64=True) as z:
            for name in ("W_enc", "b_enc", "threshold"):
                z.writestr(fixed_info(name + ".npy"), npy_bytes(arrays[name]))
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved

    # Bad files, each breaking one rule.
    np.savez(os.path.join(OUT, "bad_object_dtype.npz"), ok=np.zeros(2, dtype="<f4"), obj=np.array([{"a": 1}, None], dtype=object))

    with zipfile.ZipFile(os.path.join(OUT, "bad_traversal.npz"), "w") as z:
        z.writestr(fixed_info("../evil.npy"), npy_bytes(np.zeros(2, dtype="<f4")))

    with zipfile.ZipFile(os.path.join(OUT, "bad_absolute.npz"), "w") as z:
        z.writestr(fixed_info("/etc/evil.npy"), npy_bytes(np.zeros(2, dtype="<f4")))

    with zipfile.ZipFile(os.path.join(OUT, "bad_too_many.npz"), "w") as z:
        for i in range(70):
            z.writestr(fixed_info(f"a{i}.npy"), npy_bytes(np.zeros(1, dtype="<f4")))

    # 16 MiB of zeros deflates by more than 1000:1.
    with zipfile.ZipFile(os.path.join(OUT, "bad_bomb.npz"), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(fixed_info("zeros.npy", zipfile.ZIP_DEFLATED), npy_bytes(np.zeros(4 * 1024 * 1024, dtype="<f4")))

    # A stored entry whose data byte was flipped after the CRC was written.
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as z:
        z.writestr(fixed_info("x.npy"), npy_bytes(np.arange(16, dtype="<f4")))
    raw = bytearray(good.getvalue())
    payload_at = raw.index(np.arange(16, dtype="<f4").tobytes())
    raw[payload_at + 5] ^= 0x40
    with open(os.path.join(OUT, "bad_crc.npz"), "wb") as f:
        f.write(raw)

    with zipfile.ZipFile(os.path.join(OUT, "bad_duplicate.npz"), "w") as z:
        z.writestr(fixed_info("x.npy"), npy_bytes(np.zeros(1, dtype="<f4")))
        z.writestr(fixed_info("x.npy"), npy_bytes(np.ones(1, dtype="<f4")))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_safetensors()
    make_npz()
    print("fixtures written to", os.path.normpath(OUT))
