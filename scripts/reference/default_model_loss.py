"""Independent check of the shipped default model: a from-scratch PyTorch GPT-2 (HF
modeling_gpt2 semantics: pre-LN, gelu_new, tied head) reads model.safetensors and computes the
validation loss on the same windows train.ts evaluates (48 evenly spaced 129-token windows of
.cache/default-model/validation.u16). It should equal training-log.json's finalValidationLoss.

Run: /usr/bin/python3 scripts/reference/default_model_loss.py   (Debian's python3-torch)
"""
import json
import math
import os
import struct

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
MODEL = os.path.join(ROOT, 'resources', 'models', 'featurescope-tiny')


def read_safetensors(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        assert e['dtype'] == 'F32'
        a, b = e['data_offsets']
        out[name.removeprefix('transformer.')] = torch.from_numpy(np.frombuffer(data[a:b], dtype='<f4').reshape(e['shape']).copy())
    return out


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(w, cfg, ids):
    b, t = ids.shape
    d, h = cfg['n_embd'], cfg['n_head']
    x = w['wte.weight'][ids] + w['wpe.weight'][torch.arange(t)]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for l in range(cfg['n_layer']):
        p = f'h.{l}.'
        a = layer_norm(x, w[p + 'ln_1.weight'], w[p + 'ln_1.bias'], cfg['layer_norm_epsilon'])
        q, k, v = (a @ w[p + 'attn.c_attn.weight'] + w[p + 'attn.c_attn.bias']).split(d, dim=2)
        q, k, v = (z.view(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // h)
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(-1)
        z = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + z @ w[p + 'attn.c_proj.weight'] + w[p + 'attn.c_proj.bias']
        m = layer_norm(x, w[p + 'ln_2.weight'], w[p + 'ln_2.bias'], cfg['layer_norm_epsilon'])
        x = x + gelu_new(m @ w[p + 'mlp.c_fc.weight'] + w[p + 'mlp.c_fc.bias']) @ w[p + 'mlp.c_proj.weight'] + w[p + 'mlp.c_proj.bias']
    x = layer_norm(x, w['ln_f.weight'], w['ln_f.bias'], cfg['layer_norm_epsilon'])
    return x @ w['wte.weight'].T


def main():
    cfg = json.load(open(os.path.join(MODEL, 'config.json')))
    log = json.load(open(os.path.join(MODEL, 'training-log.json')))
    w = read_safetensors(os.path.join(MODEL, 'model.safetensors'))
    tokens = np.fromfile(os.path.join(ROOT, '.cache', 'default-model', 'validation.u16'), dtype='<u2').astype(np.int64)
    count, span = log['validationWindows'], log['contextLength'] + 1
    stride = (len(tokens) - span) // count
    windows = torch.from_numpy(np.stack([tokens[i * stride:i * stride + span] for i in range(count)]))
    with torch.no_grad():
        logits = forward(w, cfg, windows[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg['vocab_size']), windows[:, 1:].reshape(-1)).item()
    print(f'torch reference validation loss {loss:.5f}; train.ts (tfjs, engine forward) {log["finalValidationLoss"]:.5f}; '
          f'difference {abs(loss - log["finalValidationLoss"]):.2e}')


if __name__ == '__main__':
    main()
