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
  write-saelens6 FOLDER CASE SEED a SAELens 6 folder exercising one cfg.json feature, plus
                                  expected.json: CASE is constant_norm_rescale, layer_norm,
                                  expected_average_only_in (with activation_scaler.json),
                                  topk_rescale (rescale_acts_by_decoder_norm), batchtopk or
                                  matryoshka (training checkpoints: F64 0-d topk_threshold)
  write-sparsify FOLDER SEED      an EleutherAI sparsify run folder: FOLDER/config.json and
                                  FOLDER/layers.3/{cfg.json, sae.safetensors} (BF16 weights),
                                  expected.json in FOLDER/layers.3
  write-gemmascope2 FOLDER SEED   a Gemma Scope 2 folder: config.json + params.safetensors
                                  (lower-case w_enc/w_dec), plus expected.json

The forward here follows each library's own code, unfolded: SAELens's run-time normalisation
(sae.py), rescale_acts_by_decoder_norm (topk_sae.py), BatchTopK checkpoints as JumpReLU on the
rescaled pre-activations; sparsify's encode (x - b_dec, relu, top-k) and decode; Gemma Scope 2's
tutorial JumpReLU.
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
        b, en = e["data_offsets"]
        chunk = raw[base + b:base + en]
        if e["dtype"] == "F32":
            arr = np.frombuffer(chunk, dtype="<f4")
        elif e["dtype"] == "F64":
            arr = np.frombuffer(chunk, dtype="<f8").astype("<f4")
        elif e["dtype"] == "BF16":
            arr = (np.frombuffer(chunk, dtype="<u2").astype("<u4") << 16).view("<f4")
        else:
            raise SystemExit(f"{name}: dtype {e['dtype']} not read here")
        out[name] = arr.reshape(e["shape"]).copy()
    return out


def bf16_bits(a):
    """Round-to-nearest-even f32 -> bf16 bit patterns, as torch does."""
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    return ((bits + ((bits >> 16) & 1) + 0x7FFF) >> 16).astype("<u2")


def bf16_round(a):
    """The f32 values a BF16 tensor of `a` holds."""
    return (bf16_bits(a).astype("<u4") << 16).view("<f4").reshape(np.shape(a))


def write_safetensors(path, tensors, dtypes=None):
    """dtypes: optional {name: "F64" | "BF16"}; F32 otherwise."""
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        dtype = (dtypes or {}).get(name, "F32")
        if dtype == "F64":
            data = np.ascontiguousarray(arr, dtype="<f8").tobytes()
        elif dtype == "BF16":
            data = bf16_bits(arr).tobytes()
        else:
            data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(arr)), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def norm_in(cfg, x, scaler):
    """SAELens's run_time_activation_norm_fn_in; returns the rows and the function back."""
    mode = cfg.get("normalize_activations", "none")
    if mode == "constant_norm_rescale":
        coeff = (cfg["d_in"] ** 0.5) / x.norm(dim=-1, keepdim=True)
        return x * coeff, lambda y: y / coeff
    if mode == "layer_norm":
        mu = x.mean(dim=-1, keepdim=True)
        std = (x - mu).std(dim=-1, keepdim=True)
        return (x - mu) / (std + 1e-5), lambda y: y * std + mu
    if mode == "expected_average_only_in":
        # SAELens's ActivationScaler: scale in, unscale out.
        return x * scaler, lambda y: y / scaler
    return x, lambda y: y


def forward(cfg, w, x, scaler=None):
    W_enc, W_dec = torch.from_numpy(w["W_enc"]), torch.from_numpy(w["W_dec"])
    b_enc, b_dec = torch.from_numpy(w["b_enc"]), torch.from_numpy(w["b_dec"])
    xn, back = norm_in(cfg, x, scaler)
    xin = xn - b_dec if cfg.get("apply_b_dec_to_input", True) else xn
    pre = xin @ W_enc + b_enc
    arch = cfg["architecture"]
    training = arch in ("batchtopk", "matryoshka_batchtopk")
    rescale = cfg.get("rescale_acts_by_decoder_norm", training)
    norms = W_dec.norm(dim=-1)
    if rescale and arch in ("topk", "batchtopk", "matryoshka_batchtopk"):
        pre = pre * norms
    else:
        rescale = False
    if arch == "standard":
        f = torch.relu(pre)
    elif arch == "topk":
        vals, idx = pre.topk(cfg["k"], dim=-1)
        f = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
    elif arch == "jumprelu":
        f = torch.relu(pre) * (pre > torch.from_numpy(w["threshold"])).float()
    elif training:
        f = torch.relu(pre) * (pre > float(w["topk_threshold"])).float()
    else:
        raise SystemExit(f"unknown architecture {arch}")
    dec_in = f / norms if rescale else f
    return f, back(dec_in @ W_dec + b_dec)


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


def write_expected(folder, cfg, w, gen, scaler=None, offset=0.0):
    x = torch.randn(8, cfg["d_in"], generator=gen) * 2 + offset
    f, x_hat = forward(cfg, w, x, scaler)
    with open(os.path.join(folder, "expected.json"), "w") as fh:
        json.dump({"x": x.tolist(), "features": f.tolist(), "reconstruction": x_hat.tolist()}, fh)


SAELENS6_METADATA = {
    "model_name": "ref-model", "hook_name": "blocks.2.hook_resid_post", "model_class_name": "HookedTransformer",
    "hook_head_index": None, "model_from_pretrained_kwargs": {}, "prepend_bos": True, "exclude_special_tokens": False,
    "neuronpedia_id": None, "context_size": 128, "seqpos_slice": [None], "dataset_path": "ref/dataset",
    "sae_lens_version": "6.18.0", "sae_lens_training_version": "6.18.0",
}


def write_saelens6(folder, case, seed):
    """One SAELens 6 cfg.json feature per folder, the cfg laid out as SAELens's to_dict writes it."""
    gen = torch.Generator().manual_seed(seed)
    d_in, d_sae = 16, 48
    os.makedirs(folder, exist_ok=True)
    cfg = {"d_in": d_in, "d_sae": d_sae, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": True,
           "normalize_activations": "none", "reshape_activations": "none", "metadata": dict(SAELENS6_METADATA)}
    scaler, offset, dtypes = None, 0.0, {}
    if case in ("constant_norm_rescale", "layer_norm"):
        cfg.update(architecture="standard", normalize_activations=case)
        w = random_weights("standard", d_in, d_sae, gen)
        offset = 3.0  # rows with a mean and a norm far from the SAE's training scale
    elif case == "expected_average_only_in":
        cfg.update(architecture="jumprelu", apply_b_dec_to_input=False, normalize_activations=case)
        w = random_weights("jumprelu", d_in, d_sae, gen)
        scaler = 0.37
        with open(os.path.join(folder, "activation_scaler.json"), "w") as fh:
            json.dump({"scaling_factor": scaler}, fh)
    elif case == "topk_rescale":
        cfg.update(architecture="topk", k=5, rescale_acts_by_decoder_norm=True)
        w = random_weights("topk", d_in, d_sae, gen)
        w["W_dec"] = w["W_dec"] * (0.5 + torch.rand(d_sae, 1, generator=gen)).numpy()  # rows of norm 0.5 .. 1.5
    elif case in ("batchtopk", "matryoshka"):
        # A training checkpoint (save_model of the training SAE): every training field, the running
        # threshold as a 0-d float64 buffer, rescale_acts_by_decoder_norm left at its default (True).
        arch = "matryoshka_batchtopk" if case == "matryoshka" else "batchtopk"
        cfg.update(architecture=arch, k=4.0, topk_threshold_lr=0.01, aux_loss_coefficient=1.0, use_sparse_activations=False,
                   noise_scale=0.0, mse_loss_normalization=None, b_dec_init_method="zeros", decoder_init_norm=0.1)
        if case == "matryoshka":
            cfg["matryoshka_widths"] = [12, 24]  # SAELens appends d_sae
        w = random_weights("topk", d_in, d_sae, gen)
        w["W_dec"] = w["W_dec"] * (0.5 + torch.rand(d_sae, 1, generator=gen)).numpy()
        w["topk_threshold"] = np.array(0.35, dtype="<f8")
        dtypes = {"topk_threshold": "F64"}
    else:
        raise SystemExit(f"unknown case {case}")
    write_safetensors(os.path.join(folder, "sae_weights.safetensors"), w, dtypes)
    with open(os.path.join(folder, "cfg.json"), "w") as fh:
        json.dump(cfg, fh)
    cfg_run = dict(cfg)
    if case == "batchtopk" or case == "matryoshka":
        cfg_run.setdefault("rescale_acts_by_decoder_norm", True)
    write_expected(folder, cfg_run, w, gen, scaler, offset)


def write_sparsify(folder, seed):
    """sparsify's save_to_disk layout: {**SparseCoderConfig, d_in} and the module's state dict."""
    gen = torch.Generator().manual_seed(seed)
    d_in, num_latents, k = 16, 64, 6
    sae_dir = os.path.join(folder, "layers.3")
    os.makedirs(sae_dir, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump({"model": "EleutherAI/pythia-70m", "batch_size": 8, "hookpoints": ["layers.3"]}, fh)
    cfg = {"activation": "topk", "expansion_factor": 32, "normalize_decoder": True, "num_latents": num_latents, "k": k,
           "multi_topk": False, "skip_connection": False, "transcode": False, "d_in": d_in}
    with open(os.path.join(sae_dir, "cfg.json"), "w") as fh:
        json.dump(cfg, fh)
    enc = torch.randn(num_latents, d_in, generator=gen) / d_in ** 0.5
    w = {"encoder.weight": bf16_round(enc.numpy()), "encoder.bias": bf16_round((0.1 * torch.randn(num_latents, generator=gen)).numpy()),
         "W_dec": bf16_round((enc / enc.norm(dim=1, keepdim=True)).numpy()), "b_dec": bf16_round((0.2 * torch.randn(d_in, generator=gen)).numpy())}
    write_safetensors(os.path.join(sae_dir, "sae.safetensors"), w, {n: "BF16" for n in w})
    x = torch.randn(8, d_in, generator=gen) * 2
    # sparsify: encode = relu(linear(x - b_dec)) then top-k; decode = Σ acts·W_dec[idx] + b_dec.
    W, bias, W_dec, b_dec = (torch.from_numpy(w[n]) for n in ("encoder.weight", "encoder.bias", "W_dec", "b_dec"))
    pre = torch.relu(torch.nn.functional.linear(x - b_dec, W, bias))
    vals, idx = pre.topk(k, dim=-1, sorted=False)
    f = torch.zeros(8, num_latents).scatter(-1, idx, vals)
    recon = torch.nn.functional.embedding_bag(idx, W_dec, per_sample_weights=vals, mode="sum") + b_dec
    with open(os.path.join(sae_dir, "expected.json"), "w") as fh:
        json.dump({"x": x.tolist(), "features": f.tolist(), "reconstruction": recon.tolist()}, fh)


def write_gemmascope2(folder, seed):
    """A Gemma Scope 2 SAE folder as the release lays it out, with the tutorial's forward."""
    gen = torch.Generator().manual_seed(seed)
    d_in, d_sae = 16, 48
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump({"hf_hook_point_in": "model.layers.5.output", "hf_hook_point_out": "model.layers.5.output", "width": d_sae,
                   "model_name": "google/gemma-3-1b-pt", "architecture": "jump_relu", "l0": 20, "affine_connection": False,
                   "type": "sae"}, fh)
    w = random_weights("jumprelu", d_in, d_sae, gen)
    params = {"w_enc": w["W_enc"], "w_dec": w["W_dec"], "b_enc": w["b_enc"], "b_dec": w["b_dec"], "threshold": w["threshold"]}
    write_safetensors(os.path.join(folder, "params.safetensors"), params)
    x = torch.randn(8, d_in, generator=gen) * 2
    pre = x @ torch.from_numpy(params["w_enc"]) + torch.from_numpy(params["b_enc"])
    f = (pre > torch.from_numpy(params["threshold"])) * torch.relu(pre)
    recon = f @ torch.from_numpy(params["w_dec"]) + torch.from_numpy(params["b_dec"])
    with open(os.path.join(folder, "expected.json"), "w") as fh:
        json.dump({"x": x.tolist(), "features": f.tolist(), "reconstruction": recon.tolist()}, fh)


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
        scaler_path = os.path.join(folder, "activation_scaler.json")
        scaler = json.load(open(scaler_path))["scaling_factor"] if os.path.exists(scaler_path) else None
        f, x_hat = forward(cfg, w, x, scaler)
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
    elif cmd == "write-saelens6":
        write_saelens6(argv[2], argv[3], int(argv[4]))
    elif cmd == "write-sparsify":
        write_sparsify(argv[2], int(argv[3]))
    elif cmd == "write-gemmascope2":
        write_gemmascope2(argv[2], int(argv[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
