#!/usr/bin/python3
"""PyTorch peer for scripts/bench/forward.ts: tokens/s of a forward and of a capture, and peak RSS.

Loads a model folder's config.json and safetensors (model.safetensors, or the shards its
model.safetensors.index.json lists; F32, F16 or BF16, widened to float32 as the engine does) into
the plain-PyTorch forwards of make_model_fixtures.py (gpt2, llama, gemma2; imported, not copied),
then times at each batch×seq shape:
  forward — full logits for every position, like the engine's run();
  capture — one hook's activation cloned (the last block's hook_resid_post), the forward stopped
            before the head, like a capture job (which unembeds only the last position).

  /usr/bin/python3 scripts/reference/torch_forward_bench.py --model DIR --tokens TOKENS.json \
      [--shapes 1x128,8x512] [--modes forward,capture] [--runs 5] [--warmup 1] [--threads 2] \
      [--logits-out PATH]

TOKENS.json holds [[id, ...], ...]: shape b×t uses the first t ids of the first b rows.
--logits-out writes the first shape's logits for batch row 0 [T, vocab] as raw little-endian
float32, so the caller can check both computed the same. Prints one JSON line on stdout, with
peak_rss_bytes (ru_maxrss) after everything ran. Run with Debian's torch (/usr/bin/python3).
"""

import argparse
import json
import os
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as ref  # noqa: E402  (importing runs no fixture code)

MAX_HEADER_BYTES = 100_000_000
FORWARDS = {'gpt2': ref.gpt2_forward, 'llama': ref.llama_forward, 'gemma2': ref.gemma2_forward}


def read_tensor(f, base, entry):
    """One tensor of an open safetensors file as float32, read on its own (peak ≈ weights + one tensor)."""
    start, end = entry['data_offsets']
    f.seek(base + start)
    raw = f.read(end - start)
    dtype = entry['dtype']
    if dtype == 'F32':
        arr = np.frombuffer(raw, dtype='<f4').copy()
    elif dtype == 'F16':
        arr = np.frombuffer(raw, dtype='<f2').astype(np.float32)
    elif dtype == 'BF16':
        arr = (np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
    else:
        raise SystemExit(f'tensor dtype {dtype}: this peer reads F32, F16 and BF16')
    return torch.from_numpy(arr.reshape(entry['shape']))


def read_safetensors(path):
    out = {}
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        if n > MAX_HEADER_BYTES:
            raise SystemExit(f'{path}: header of {n} bytes is larger than {MAX_HEADER_BYTES}')
        header = json.loads(f.read(n))
        for name, entry in header.items():
            if name != '__metadata__':
                out[name] = read_tensor(f, 8 + n, entry)
    return out


def load_weights(folder):
    single = os.path.join(folder, 'model.safetensors')
    if os.path.exists(single):
        return read_safetensors(single)
    with open(os.path.join(folder, 'model.safetensors.index.json'), encoding='utf-8') as f:
        shards = sorted(set(json.load(f)['weight_map'].values()))
    W = {}
    for shard in shards:
        W.update(read_safetensors(os.path.join(folder, os.path.basename(shard))))
    return W


def strip_gpt2_prefix(raw):
    """gpt2_forward uses keys without GPT2LMHeadModel's "transformer." prefix."""
    return {k[len('transformer.'):] if k.startswith('transformer.') else k: v for k, v in raw.items()}


def load_gpt2(folder):
    """(config, weights) of a GPT-2 folder for make_model_fixtures.gpt2_forward; other tests import this."""
    with open(os.path.join(folder, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    if cfg.get('model_type') != 'gpt2':
        raise SystemExit(f'{folder}/config.json: model_type {cfg.get("model_type")!r}; load_gpt2 reads gpt2 only')
    if cfg.get('activation_function', 'gelu_new') != 'gelu_new':
        raise SystemExit(f'{folder}/config.json: activation {cfg["activation_function"]!r}; the reference uses gelu_new')
    return cfg, strip_gpt2_prefix(load_weights(folder))


def use_rope_scaling(cfg):
    """make_model_fixtures' rope has no rope_scaling; Llama-3.2 uses llama3 scaling, as the engine does.

    Its forwards call ref.rope_cos_sin by module name, so this swaps in HF's
    _compute_llama3_parameters frequencies for this run.
    """
    s = cfg.get('rope_scaling')
    if not s:
        return
    def scaled(position_ids, dim, theta):
        inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        if s.get('rope_type', s.get('type')) == 'linear':
            inv = inv / s['factor']
        else:
            low_wl = s['original_max_position_embeddings'] / s['low_freq_factor']
            high_wl = s['original_max_position_embeddings'] / s['high_freq_factor']
            wl = 2 * torch.pi / inv
            smooth = (s['original_max_position_embeddings'] / wl - s['low_freq_factor']) / (s['high_freq_factor'] - s['low_freq_factor'])
            mid = (1 - smooth) * inv / s['factor'] + smooth * inv
            inv = torch.where(wl > low_wl, inv / s['factor'], torch.where(wl < high_wl, inv, mid))
        freqs = position_ids[:, :, None].float() * inv[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos()[:, None], emb.sin()[:, None]

    ref.rope_cos_sin = scaled


class StopForward(Exception):
    pass


def capture_hook(name):
    """Clones the activation at `name` and stops the forward before the head."""
    got = {}

    def hook(hook_name, x):
        if hook_name == name:
            got['act'] = x.clone()
        if hook_name == 'ln_final.hook_normalized':
            raise StopForward
        return x

    return hook, got


def no_hooks(_name, x):
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--tokens', required=True)
    ap.add_argument('--shapes', default='1x128,8x128')
    ap.add_argument('--modes', default='forward')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--logits-out')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    with open(os.path.join(args.model, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    family = {'gpt2': 'gpt2', 'llama': 'llama', 'gemma2': 'gemma2'}.get(cfg.get('model_type'))
    if family is None:
        raise SystemExit(f'{args.model}/config.json: model_type {cfg.get("model_type")!r}; this peer runs gpt2, llama and gemma2')
    if family == 'gpt2' and cfg.get('activation_function', 'gelu_new') != 'gelu_new':
        raise SystemExit(f'{args.model}/config.json: activation {cfg["activation_function"]!r}; the reference uses gelu_new')
    use_rope_scaling(cfg)
    t0 = time.perf_counter()
    raw = load_weights(args.model)
    load_s = time.perf_counter() - t0
    W = strip_gpt2_prefix(raw)
    del raw
    forward = FORWARDS[family]
    n_layers = cfg.get('n_layer', cfg.get('num_hidden_layers'))
    capture_name = f'blocks.{n_layers - 1}.hook_resid_post'
    with open(args.tokens, encoding='utf-8') as f:
        rows = json.load(f)

    results = {}
    first = True
    for shape in args.shapes.split(','):
        b, t = (int(x) for x in shape.split('x'))
        if b > len(rows) or t > len(rows[0]):
            raise SystemExit(f'{args.tokens}: {len(rows)}×{len(rows[0])} ids, shape {shape} asked for')
        ids = torch.tensor([r[:t] for r in rows[:b]], dtype=torch.long)  # [batch, pos]
        mask = torch.ones_like(ids)
        for mode in args.modes.split(','):
            def once():
                if mode == 'forward':
                    return forward(cfg, W, ids, mask, no_hooks)
                hook, got = capture_hook(capture_name)
                try:
                    forward(cfg, W, ids, mask, hook)
                except StopForward:
                    pass
                return got['act']

            with torch.no_grad():
                for _ in range(args.warmup):
                    out = once()
                if first and mode == 'forward' and args.logits_out:
                    out = once()  # [batch, pos, d_vocab]
                    out[0].contiguous().numpy().astype('<f4').tofile(args.logits_out)
                    first = False
                out = None
                times = []
                for _ in range(args.runs):
                    t1 = time.perf_counter()
                    out = once()
                    times.append(time.perf_counter() - t1)
                    out = None
            median = statistics.median(times)
            results[f'{mode} {shape}'] = {'median_s': median, 'runs_s': times, 'tokens_per_s': ids.numel() / median}

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'load_s': load_s,
                      'peak_rss_bytes': rss, 'results': results}))


if __name__ == '__main__':
    main()
