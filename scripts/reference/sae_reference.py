#!/usr/bin/env python3
"""Independent PyTorch reference for Featurescope's SAE format and forward pass.

Reads and writes SAELens folders (cfg.json + sae_weights.safetensors) by hand with json and
numpy (no safetensors/SAELens package needed), and computes, in torch,
    f = act((x - b_dec * apply_b_dec_to_input) @ W_enc + b_enc),   x_hat = f @ W_dec + b_dec
with act = relu (standard), relu(topk_k) (topk), relu(pre) * (pre > threshold) (jumprelu).

Run with Debian's /usr/bin/python3 (torch 1.13). Commands:
  run FOLDER INPUT_JSON           print {"features": [...], "reconstruction": [...]} for the
                                  [N, d_in] rows in INPUT_JSON ({"x": [[...], ...]})
  write FOLDER ARCH SEED          write a random SAELens folder of ARCH plus expected.json
                                  (input rows, features, reconstruction) computed here
  write-npz FOLDER SEED           write a Gemma Scope style params.npz (jumprelu, no b_dec
                                  subtraction) plus expected.json
"""
import json, os, struct, sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", f"{name}: only F32 supported here"
        b, en = e["data_offsets"]
        out[name] = np.frombuffer(raw[base + b:base + en], dtype="<f4").reshape(e["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def forward(cfg, w, x):
    W_enc, W_dec = torch.from_numpy(w["W_enc"]), torch.from_numpy(w["W_dec"])
    b_enc, b_dec = torch.from_numpy(w["b_enc"]), torch.from_numpy(w["b_dec"])
    xin = x - b_dec if cfg.get("apply_b_dec_to_input", True) else x
    pre = xin @ W_enc + b_enc
    arch = cfg["architecture"]
    if arch == "standard":
        f = torch.relu(pre)
    elif arch == "topk":
        vals, idx = pre.topk(cfg["k"], dim=-1)
        f = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
    elif arch == "jumprelu":
        f = torch.relu(pre) * (pre > torch.from_numpy(w["threshold"])).float()
    else:
        raise SystemExit(f"unknown architecture {arch}")
    return f, f @ W_dec + b_dec


def random_weights(arch, d_in, d_sae, gen):
    W_dec = torch.randn(d_sae, d_in, generator=gen)
    W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
    w = {
        "W_enc": (W_dec.T.clone() + 0.1 * torch.randn(d_in, d_sae, generator=gen)).numpy(),
        "W_dec": W_dec.numpy(),
        "b_enc": (0.1 * torch.randn(d_sae, generator=gen)).numpy(),
        "b_dec": (0.2 * torch.randn(d_in, generator=gen)).numpy(),
    }
    if arch == "jumprelu":
        w["threshold"] = (0.2 + 0.3 * torch.rand(d_sae, generator=gen)).numpy()
    return w


def write_expected(folder, cfg, w, gen):
    x = torch.randn(8, cfg["d_in"], generator=gen) * 2
    f, x_hat = forward(cfg, w, x)
    with open(os.path.join(folder, "expected.json"), "w") as fh:
        json.dump({"x": x.tolist(), "features": f.tolist(), "reconstruction": x_hat.tolist()}, fh)


def main(argv):
    torch.set_num_threads(1)
    cmd = argv[1]
    if cmd == "run":
        folder, inp = argv[2], argv[3]
        with open(os.path.join(folder, "cfg.json")) as fh:
            cfg = json.load(fh)
        w = read_safetensors(os.path.join(folder, "sae_weights.safetensors"))
        with open(inp) as fh:
            x = torch.tensor(json.load(fh)["x"], dtype=torch.float32)
        f, x_hat = forward(cfg, w, x)
        print(json.dumps({"features": f.tolist(), "reconstruction": x_hat.tolist()}))
    elif cmd == "write":
        folder, arch, seed = argv[2], argv[3], int(argv[4])
        gen = torch.Generator().manual_seed(seed)
        d_in, d_sae = 16, 48
        os.makedirs(folder, exist_ok=True)
        cfg = {"architecture": arch, "d_in": d_in, "d_sae": d_sae, "dtype": "float32", "device": "cpu",
               "apply_b_dec_to_input": arch != "jumprelu", "normalize_activations": "none",
               "reshape_activations": "none", "metadata": {"hook_name": "blocks.1.hook_resid_post", "model_name": "ref"}}
        if arch == "topk":
            cfg["k"] = 5
        w = random_weights(arch, d_in, d_sae, gen)
        write_safetensors(os.path.join(folder, "sae_weights.safetensors"), w)
        with open(os.path.join(folder, "cfg.json"), "w") as fh:
            json.dump(cfg, fh)
        write_expected(folder, cfg, w, gen)
    elif cmd == "write-npz":
        folder, seed = argv[2], int(argv[3])
        gen = torch.Generator().manual_seed(seed)
        os.makedirs(folder, exist_ok=True)
        w = random_weights("jumprelu", 16, 48, gen)
        np.savez(os.path.join(folder, "params.npz"), **w)
        write_expected(folder, {"architecture": "jumprelu", "d_in": 16, "apply_b_dec_to_input": False}, w, gen)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
