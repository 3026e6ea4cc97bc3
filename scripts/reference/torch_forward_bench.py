#!/usr/bin/python3
"""PyTorch peer for scripts/bench/forward.ts: forward tokens/s of a GPT-2 model folder.

Loads the model folder's config.json and model.safetensors (the same file the engine reads) into
the plain-PyTorch GPT-2 forward of make_model_fixtures.py (imported, not copied), then times full
forwards (logits for every position, like the engine's run()) at the given batch sizes.

  /usr/bin/python3 scripts/reference/torch_forward_bench.py --model DIR --tokens TOKENS.json \
      [--batches 1,8] [--runs 5] [--warmup 1] [--threads 2] [--logits-out PATH]

TOKENS.json holds [[id, ...], ...]: batch b uses its first b rows. --logits-out writes the batch-1
logits [1, T, vocab] as raw little-endian float32, so the caller can check both computed the same.
Prints one JSON line on stdout. Run with Debian's torch (/usr/bin/python3), not the pyenv python3.
"""

import argparse
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import gpt2_forward  # noqa: E402  (importing runs no fixture code)

MAX_HEADER_BYTES = 100_000_000


def read_safetensors_f32(path):
    """name → float32 tensor, for F32 files (the bundled model and the bench's random model)."""
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        if n > MAX_HEADER_BYTES:
            raise SystemExit(f'{path}: header of {n} bytes is larger than {MAX_HEADER_BYTES}')
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise SystemExit(f'{path}: tensor {name} is {entry["dtype"]}; this peer reads F32 only')
        start, end = entry['data_offsets']
        arr = np.frombuffer(data, dtype='<f4', count=(end - start) // 4, offset=start).reshape(entry['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out


def load_gpt2(folder):
    with open(os.path.join(folder, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    if cfg.get('model_type') != 'gpt2':
        raise SystemExit(f'{folder}/config.json: model_type {cfg.get("model_type")!r}; this peer runs gpt2 only')
    if cfg.get('tie_word_embeddings', True) is not True:
        raise SystemExit(f'{folder}/config.json: untied head; the reference GPT-2 forward uses the tied wte')
    if cfg.get('activation_function', 'gelu_new') != 'gelu_new':
        raise SystemExit(f'{folder}/config.json: activation {cfg["activation_function"]!r}; the reference uses gelu_new')
    raw = read_safetensors_f32(os.path.join(folder, 'model.safetensors'))
    # gpt2_forward uses keys without GPT2LMHeadModel's "transformer." prefix.
    weights = {k[len('transformer.'):] if k.startswith('transformer.') else k: v for k, v in raw.items()}
    return cfg, weights


def no_hooks(_name, x):
    # The fixture Hooks class clones every activation; a benchmark must not pay for that.
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--tokens', required=True)
    ap.add_argument('--batches', default='1,8')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--logits-out')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    cfg, W = load_gpt2(args.model)
    with open(args.tokens, encoding='utf-8') as f:
        rows = json.load(f)

    results = {}
    for b in [int(s) for s in args.batches.split(',')]:
        if b > len(rows):
            raise SystemExit(f'{args.tokens}: {len(rows)} rows, batch {b} asked for')
        ids = torch.tensor(rows[:b], dtype=torch.long)  # [batch, pos]
        mask = torch.ones_like(ids)
        with torch.no_grad():
            for _ in range(args.warmup):
                logits = gpt2_forward(cfg, W, ids, mask, no_hooks)
            if b == 1 and args.logits_out:
                logits = gpt2_forward(cfg, W, ids, mask, no_hooks)  # [1, pos, d_vocab]
                logits.contiguous().numpy().astype('<f4').tofile(args.logits_out)
            del logits
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                logits = gpt2_forward(cfg, W, ids, mask, no_hooks)
                times.append(time.perf_counter() - t0)
                del logits
        median = statistics.median(times)
        results[str(b)] = {'median_s': median, 'runs_s': times, 'tokens_per_s': ids.numel() / median}

    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}))


if __name__ == '__main__':
    main()
