#!/usr/bin/python3
"""A random-weight Gemma-2 folder at the real widths, stored BF16, and its PyTorch forward (issue #15).

Writes DIR/{config.json, model.safetensors, tokenizer.json} with Gemma-2-2B's widths (d_model 2304,
8 query / 4 key-value heads of 256, intermediate 9216, soft-caps, query_pre_attn_scalar 256) and the
given number of layers and vocabulary size, then runs the plain-PyTorch Gemma-2 forward of
make_model_fixtures.py (imported, not copied) on the same BF16 numbers widened to f32, as the engine
widens them. Tensors are generated and written one at a time and read back through a memory map, so
even the full-size folder (26 layers, 256,000 tokens: 5.2 GB) needs little more than one f32 copy
of the embedding beside the page cache.

  /usr/bin/python3 scripts/reference/real_width_gemma2.py --out DIR [--layers 2] [--vocab 32000] \\
      [--seed 0] (--make-only | --tokens '[[2, 17, ...]]' --logits-out PATH [--last-only] [--greedy N])

The folder is reused when its .featurescope-random.json matches (layers, vocab, seed). --logits-out
gets the logits [batch, pos, vocab] (or [batch, 1, vocab] with --last-only) as raw little-endian f32;
stdout gets one JSON line: {"shape": [...], "greedy": [ids], "seconds": s}. --greedy N continues
row 0 greedily by N tokens (full-sequence argmax each step).
"""

import argparse
import json
import math
import os
import shutil
import struct
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import gemma2_forward  # noqa: E402  (importing runs no fixture code)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
TOKENIZER = os.path.join(ROOT, 'resources', 'models', 'featurescope-tiny', 'tokenizer.json')
MARKER = '.featurescope-random.json'
D, H, KV, HD, F = 2304, 8, 4, 256, 9216


def config(layers, vocab):
    return {
        'architectures': ['Gemma2ForCausalLM'], 'model_type': 'gemma2', 'vocab_size': vocab, 'hidden_size': D,
        'intermediate_size': F, 'num_hidden_layers': layers, 'num_attention_heads': H, 'num_key_value_heads': KV,
        'head_dim': HD, 'hidden_activation': 'gelu_pytorch_tanh', 'hidden_act': 'gelu_pytorch_tanh',
        'max_position_embeddings': 8192, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'attention_bias': False,
        'query_pre_attn_scalar': 256, 'sliding_window': 4096, 'final_logit_softcapping': 30.0,
        'attn_logit_softcapping': 50.0, 'tie_word_embeddings': True, 'bos_token_id': 2, 'eos_token_id': 1,
        'pad_token_id': 0, 'cache_implementation': 'hybrid', 'torch_dtype': 'bfloat16',
    }


def tensor_specs(layers, vocab):
    """(name, shape, std, mean) in checkpoint order; norm gains near 0 (Gemma applies 1 + w)."""
    proj = 0.02 / math.sqrt(2 * layers)
    out = [('model.embed_tokens.weight', [vocab, D], 0.02, 0.0)]
    for L in range(layers):
        p = f'model.layers.{L}.'
        out += [
            (p + 'input_layernorm.weight', [D], 0.1, 0.0),
            (p + 'self_attn.q_proj.weight', [H * HD, D], 0.02, 0.0),
            (p + 'self_attn.k_proj.weight', [KV * HD, D], 0.02, 0.0),
            (p + 'self_attn.v_proj.weight', [KV * HD, D], 0.02, 0.0),
            (p + 'self_attn.o_proj.weight', [D, H * HD], proj, 0.0),
            (p + 'post_attention_layernorm.weight', [D], 0.1, 0.0),
            (p + 'pre_feedforward_layernorm.weight', [D], 0.1, 0.0),
            (p + 'post_feedforward_layernorm.weight', [D], 0.1, 0.0),
            (p + 'mlp.gate_proj.weight', [F, D], 0.02, 0.0),
            (p + 'mlp.up_proj.weight', [F, D], 0.02, 0.0),
            (p + 'mlp.down_proj.weight', [D, F], proj, 0.0),
        ]
    out.append(('model.norm.weight', [D], 0.1, 0.0))
    return out


def make_folder(out, layers, vocab, seed):
    marker = {'layers': layers, 'vocab': vocab, 'seed': seed, 'dtype': 'BF16'}
    marker_path = os.path.join(out, MARKER)
    if os.path.exists(marker_path):
        with open(marker_path, encoding='utf-8') as f:
            if json.load(f) == marker:
                return
    os.makedirs(out, exist_ok=True)
    specs = tensor_specs(layers, vocab)
    header, offset = {'__metadata__': {'format': 'pt'}}, 0
    for name, shape, _, _ in specs:
        n = 2 * int(np.prod(shape))
        header[name] = {'dtype': 'BF16', 'shape': shape, 'data_offsets': [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    gen = torch.Generator().manual_seed(seed)
    tmp = os.path.join(out, 'model.safetensors.tmp')
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for _, shape, std, mean in specs:
            t = (torch.randn(*shape, generator=gen) * std + mean).to(torch.bfloat16)
            f.write(t.view(torch.int16).numpy().tobytes())
            del t
    os.replace(tmp, os.path.join(out, 'model.safetensors'))
    with open(os.path.join(out, 'config.json'), 'w', encoding='utf-8') as f:
        json.dump(config(layers, vocab), f, indent=2)
    shutil.copyfile(TOKENIZER, os.path.join(out, 'tokenizer.json'))
    with open(marker_path, 'w', encoding='utf-8') as f:
        json.dump(marker, f)


class WidenedBf16(dict):
    """name → BF16 tensor over the memory map; read as f32 (the engine's widening), one at a time."""

    def __getitem__(self, name):
        return dict.__getitem__(self, name).float()


def read_weights(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
    data = np.memmap(path, dtype=np.uint8, mode='r', offset=8 + n)
    W = WidenedBf16()
    for name, e in header.items():
        if name == '__metadata__':
            continue
        start, end = e['data_offsets']
        bits = np.frombuffer(data, dtype='<i2', count=(end - start) // 2, offset=start).reshape(e['shape'])
        dict.__setitem__(W, name, torch.from_numpy(bits).view(torch.bfloat16))
    return W


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--layers', type=int, default=2)
    ap.add_argument('--vocab', type=int, default=32000)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--tokens', help='JSON [[id, ...], ...]')
    ap.add_argument('--logits-out')
    ap.add_argument('--make-only', action='store_true', help='write the folder, run no forward')
    ap.add_argument('--last-only', action='store_true')
    ap.add_argument('--greedy', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    make_folder(args.out, args.layers, args.vocab, args.seed)
    if args.make_only:
        return
    if args.tokens is None or args.logits_out is None:
        raise SystemExit('--tokens and --logits-out are needed unless --make-only')
    with open(os.path.join(args.out, 'config.json'), encoding='utf-8') as f:
        cfg = json.load(f)
    # The memory map is read-only and the forward never writes to a weight.
    warnings.filterwarnings('ignore', message='The given NumPy array is not writable')
    W = read_weights(os.path.join(args.out, 'model.safetensors'))
    ids = torch.tensor(json.loads(args.tokens), dtype=torch.long)
    t0 = time.perf_counter()
    logits = gemma2_forward(cfg, W, ids, torch.ones_like(ids), lambda _name, x: x)
    seconds = time.perf_counter() - t0
    if args.last_only:
        logits = logits[:, -1:]
    logits.contiguous().numpy().astype('<f4').tofile(args.logits_out)
    greedy, row = [], ids[:1]
    for _ in range(args.greedy):
        step = gemma2_forward(cfg, W, row, torch.ones_like(row), lambda _name, x: x)
        nxt = int(step[0, -1].argmax())
        greedy.append(nxt)
        row = torch.cat([row, torch.tensor([[nxt]])], dim=1)
    print(json.dumps({'shape': list(logits.shape), 'greedy': greedy, 'seconds': seconds}))


if __name__ == '__main__':
    main()
