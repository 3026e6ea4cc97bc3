#!/usr/bin/python3
"""Reference fixtures for the model runtime (src/engine/model/).

Writes tiny random-weight GPT-2, Llama (GQA, untied head), Qwen2 (q/k/v biases) and Gemma-2
(soft-caps, sliding window shorter than the sequence, query_pre_attn_scalar, head_dim != d/H)
models in Hugging Face folder layout under test/fixtures/models/<name>/:
  config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
  expected.safetensors (logits and every hook, per case), cases.json (inputs per case).
Plus test/fixtures/models/tokenizer_cases.json: texts and the ids a reference byte-level BPE
(written below, GPT-2's algorithm) gives for them.

The forwards are plain PyTorch written from the semantics of Hugging Face's modeling_gpt2.py,
modeling_llama.py, modeling_qwen2.py and modeling_gemma2.py (eager attention, float32), with
TransformerLens hook names recorded as they go. No transformers / tokenizers package is used.

Run with Debian's torch:  /usr/bin/python3 scripts/reference/make_model_fixtures.py
"""

import json
import math
import os
import re
import struct
from collections import Counter

import numpy as np
import torch

torch.manual_seed(1234)
torch.set_grad_enabled(False)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'models')

# ------------------------------------------------------------------------------------------
# safetensors writer (F32 only; header padded to 8 bytes like the reference implementation)


def write_safetensors(path, tensors):
    header = {'__metadata__': {'format': 'pt'}}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        arr = np.ascontiguousarray(t.detach().cpu().numpy().astype('<f4'))
        data = arr.tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(arr.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def write_json(path, obj):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')


# ------------------------------------------------------------------------------------------
# Byte-level BPE tokenizer: trained on a tiny corpus, written as tokenizer.json, and a reference
# encoder following GPT-2's encoder.py (byte→unicode map, regex pre-split, lowest-rank merge first).


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}
# GPT-2's pattern with \p{L} → [^\W\d_] and \p{N} → \d (Python's re has no \p{..});
# the same on the texts used here (ASCII and Latin letters).
GPT2_SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")

CORPUS = """The quick brown fox jumps over the lazy dog. The dog sleeps in the sun,
and the fox runs into the forest. Models read text as tokens; tokens become vectors.
An auditor inspects the features of the model, one feature at a time, and the model
answers: the cat sat on the mat, the hat is on the cat. It's 2024 and we're testing
the tokenizer with numbers like 123 and 4567, and they'll see that it works."""

EOS = '<|endoftext|>'
BOS = '<s>'
N_MERGES = 42  # 256 byte tokens + 42 merges + 2 specials = 300 = the models' vocab


def pre_split(text):
    return [''.join(BYTE_ENCODER[b] for b in piece.encode('utf-8')) for piece in GPT2_SPLIT.findall(text)]


def train_bpe(corpus, n_merges):
    words = Counter(tuple(w) for w in pre_split(corpus))
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        # Most frequent pair; ties broken by the pair's text so the result is deterministic.
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(ch) for ch in kv[0][0] + ' ' + kv[0][1]]))[0]
        merges.append(best)
        new_words = Counter()
        for w, c in words.items():
            out = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] += c
        words = new_words
    return merges


def bpe_word(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        candidates = [(ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
        rank, _ = min(candidates)
        if rank == math.inf:
            break
        pair = [p for p in ranks if ranks[p] == rank][0]
        out = []
        i = 0
        while i < len(parts):
            if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
                out.append(parts[i] + parts[i + 1])
                i += 2
            else:
                out.append(parts[i])
                i += 1
        parts = out
    return parts


class ReferenceBPE:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {m: i for i, m in enumerate(merges)}

    def encode(self, text):
        ids = []
        for word in pre_split(text):
            ids.extend(self.vocab[p] for p in bpe_word(word, self.ranks))
        return ids


def build_tokenizer():
    merges = train_bpe(CORPUS, N_MERGES)
    assert len(merges) == N_MERGES, len(merges)
    vocab = {}
    for b in range(256):
        vocab[BYTE_ENCODER[b]] = b
    for a, b in merges:
        vocab[a + b] = len(vocab)
    eos_id = len(vocab)
    bos_id = eos_id + 1
    added = [
        {'id': eos_id, 'content': EOS, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True},
        {'id': bos_id, 'content': BOS, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True},
    ]
    tokenizer_json = {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added,
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': False, 'use_regex': True},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '', 'end_of_word_suffix': '',
            'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
            'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges],
        },
    }
    return tokenizer_json, ReferenceBPE(vocab, merges), eos_id, bos_id


TOKENIZER_TEXTS = [
    'The quick brown fox jumps over the lazy dog.',
    'the cat sat on the mat',
    "It's 2024 and we're testing; they'll see.",
    '  leading spaces and   inner   runs  ',
    'Tokens become vectors, vectors become features!',
    'line one\nline two\n\ttabbed',
    'numbers 1234567890 and symbols #$%&*()',
    'café naïve résumé',
    'zzzz qqqq xxxx',
    '',
]

# ------------------------------------------------------------------------------------------
# Shared math, written as Hugging Face writes it.


def gelu_tanh(x):  # HF "gelu_new" / "gelu_pytorch_tanh"
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rms_norm(x, w, eps):  # LlamaRMSNorm
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def gemma_rms_norm(x, w, eps):  # Gemma2RMSNorm
    out = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return out * (1.0 + w)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(position_ids, dim, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    freqs = position_ids[:, :, None].float() * inv_freq[None, None, :]  # [B, T, dim/2]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[:, None], emb.sin()[:, None]  # [B, 1, T, dim]


def position_ids_from_mask(mask):
    # HF generate(): position_ids = attention_mask.cumsum(-1) - 1, pads filled with 1.
    pos = mask.long().cumsum(-1) - 1
    return pos.masked_fill(mask == 0, 1)


def additive_mask(mask, sliding_window=None):
    # [B, 1, T, T]: causal, padded keys hidden, and (Gemma-2 local layers) i - j < window.
    B, T = mask.shape
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    allowed = (j <= i)[None] & (mask[:, None, :] == 1)
    if sliding_window is not None:
        allowed = allowed & ((i - j) < sliding_window)[None]
    neg = torch.finfo(torch.float32).min
    return torch.where(allowed, torch.tensor(0.0), torch.tensor(neg))[:, None]


def repeat_kv(x, n_rep):
    B, H, T, D = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None].expand(B, H, n_rep, T, D).reshape(B, H * n_rep, T, D)


class Hooks:
    """Records activations under TransformerLens names and applies interventions at them."""

    def __init__(self, edits=None):
        self.acts = {}
        self.edits = edits or {}

    def __call__(self, name, x):
        if name in self.edits:
            x = self.edits[name](x)
        self.acts[name] = x.clone()
        return x


# ------------------------------------------------------------------------------------------
# GPT-2 (modeling_gpt2.py): Conv1D weights stored [in, out], x @ W + b.


def gpt2_forward(cfg, W, ids, mask, hooks):
    d, H = cfg['n_embd'], cfg['n_head']
    hd = d // H
    eps = cfg['layer_norm_epsilon']
    B, T = ids.shape
    pos = position_ids_from_mask(mask)
    x = hooks('hook_embed', W['wte.weight'][ids]) + hooks('hook_pos_embed', W['wpe.weight'][pos])
    am = additive_mask(mask)
    for L in range(cfg['n_layer']):
        p = f'h.{L}.'
        x = hooks(f'blocks.{L}.hook_resid_pre', x)
        h = layer_norm(x, W[p + 'ln_1.weight'], W[p + 'ln_1.bias'], eps)
        qkv = h @ W[p + 'attn.c_attn.weight'] + W[p + 'attn.c_attn.bias']
        q, k, v = qkv.split(d, dim=2)
        q, k, v = [t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v)]
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + am
        att = torch.softmax(att, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, d)
        a = a @ W[p + 'attn.c_proj.weight'] + W[p + 'attn.c_proj.bias']
        a = hooks(f'blocks.{L}.hook_attn_out', a)
        x = hooks(f'blocks.{L}.hook_resid_mid', x + a)
        h = layer_norm(x, W[p + 'ln_2.weight'], W[p + 'ln_2.bias'], eps)
        h = gelu_tanh(h @ W[p + 'mlp.c_fc.weight'] + W[p + 'mlp.c_fc.bias'])
        h = hooks(f'blocks.{L}.mlp.hook_post', h)
        m = h @ W[p + 'mlp.c_proj.weight'] + W[p + 'mlp.c_proj.bias']
        m = hooks(f'blocks.{L}.hook_mlp_out', m)
        x = hooks(f'blocks.{L}.hook_resid_post', x + m)
    x = hooks('ln_final.hook_normalized', layer_norm(x, W['ln_f.weight'], W['ln_f.bias'], eps))
    return x @ W['wte.weight'].T  # tied head


def make_gpt2():
    cfg = {
        'model_type': 'gpt2', 'architectures': ['GPT2LMHeadModel'], 'vocab_size': 300, 'n_positions': 64, 'n_ctx': 64,
        'n_embd': 32, 'n_layer': 2, 'n_head': 4, 'n_inner': None, 'activation_function': 'gelu_new',
        'layer_norm_epsilon': 1e-5, 'bos_token_id': 298, 'eos_token_id': 298, 'tie_word_embeddings': True,
        'torch_dtype': 'float32',
    }
    d, V, P, F = 32, 300, 64, 128
    r = lambda *s, std=0.2: torch.randn(*s) * std  # noqa: E731
    W = {'wte.weight': r(V, d, std=0.5), 'wpe.weight': r(P, d, std=0.3)}
    for L in range(2):
        p = f'h.{L}.'
        W.update({
            p + 'ln_1.weight': 1 + r(d, std=0.1), p + 'ln_1.bias': r(d, std=0.1),
            p + 'attn.c_attn.weight': r(d, 3 * d), p + 'attn.c_attn.bias': r(3 * d, std=0.1),
            p + 'attn.c_proj.weight': r(d, d), p + 'attn.c_proj.bias': r(d, std=0.1),
            p + 'ln_2.weight': 1 + r(d, std=0.1), p + 'ln_2.bias': r(d, std=0.1),
            p + 'mlp.c_fc.weight': r(d, F), p + 'mlp.c_fc.bias': r(F, std=0.1),
            p + 'mlp.c_proj.weight': r(F, d), p + 'mlp.c_proj.bias': r(d, std=0.1),
        })
    W['ln_f.weight'] = 1 + r(d, std=0.1)
    W['ln_f.bias'] = r(d, std=0.1)
    # Checkpoint keys as GPT2LMHeadModel saves them (with the "transformer." prefix).
    saved = {'transformer.' + k: v for k, v in W.items()}
    return cfg, W, saved, gpt2_forward, F


# ------------------------------------------------------------------------------------------
# Llama / Qwen2 (modeling_llama.py, modeling_qwen2.py): Linear weights stored [out, in].


def llama_forward(cfg, W, ids, mask, hooks):
    d, H, KV = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    hd = cfg.get('head_dim') or d // H
    eps = cfg['rms_norm_eps']
    B, T = ids.shape
    pos = position_ids_from_mask(mask)
    cos, sin = rope_cos_sin(pos, hd, cfg['rope_theta'])
    am = additive_mask(mask)
    lin = lambda x, name: x @ W[name + '.weight'].T + (W[name + '.bias'] if name + '.bias' in W else 0)  # noqa: E731
    x = hooks('hook_embed', W['model.embed_tokens.weight'][ids])
    for L in range(cfg['num_hidden_layers']):
        p = f'model.layers.{L}.'
        x = hooks(f'blocks.{L}.hook_resid_pre', x)
        h = rms_norm(x, W[p + 'input_layernorm.weight'], eps)
        q = lin(h, p + 'self_attn.q_proj').view(B, T, H, hd).transpose(1, 2)
        k = lin(h, p + 'self_attn.k_proj').view(B, T, KV, hd).transpose(1, 2)
        v = lin(h, p + 'self_attn.v_proj').view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, H // KV), repeat_kv(v, H // KV)
        att = torch.softmax((q @ k.transpose(2, 3)) / math.sqrt(hd) + am, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
        a = hooks(f'blocks.{L}.hook_attn_out', lin(a, p + 'self_attn.o_proj'))
        x = hooks(f'blocks.{L}.hook_resid_mid', x + a)
        h = rms_norm(x, W[p + 'post_attention_layernorm.weight'], eps)
        h = hooks(f'blocks.{L}.mlp.hook_post', torch.nn.functional.silu(lin(h, p + 'mlp.gate_proj')) * lin(h, p + 'mlp.up_proj'))
        m = hooks(f'blocks.{L}.hook_mlp_out', lin(h, p + 'mlp.down_proj'))
        x = hooks(f'blocks.{L}.hook_resid_post', x + m)
    x = hooks('ln_final.hook_normalized', rms_norm(x, W['model.norm.weight'], eps))
    head = W['lm_head.weight'] if 'lm_head.weight' in W else W['model.embed_tokens.weight']
    return x @ head.T


def make_llama_like(model_type):
    qwen = model_type == 'qwen2'
    d, H, KV, F, V = 32, 4, 2, 64, 300
    hd = d // H
    cfg = {
        'model_type': model_type, 'architectures': ['Qwen2ForCausalLM' if qwen else 'LlamaForCausalLM'],
        'vocab_size': V, 'hidden_size': d, 'intermediate_size': F, 'num_hidden_layers': 2,
        'num_attention_heads': H, 'num_key_value_heads': KV, 'hidden_act': 'silu', 'max_position_embeddings': 128,
        'rms_norm_eps': 1e-5 if not qwen else 1e-6, 'rope_theta': 10000.0 if not qwen else 1000000.0,
        'rope_scaling': None, 'tie_word_embeddings': qwen, 'attention_bias': False, 'mlp_bias': False,
        'bos_token_id': 299, 'eos_token_id': 298, 'torch_dtype': 'float32',
    }
    if qwen:
        cfg.update({'use_sliding_window': False, 'sliding_window': 4096, 'max_window_layers': 2})
        del cfg['attention_bias'], cfg['mlp_bias']
    r = lambda *s, std=0.2: torch.randn(*s) * std  # noqa: E731
    W = {'model.embed_tokens.weight': r(V, d, std=0.5)}
    for L in range(2):
        p = f'model.layers.{L}.'
        W.update({
            p + 'input_layernorm.weight': 1 + r(d, std=0.1),
            p + 'self_attn.q_proj.weight': r(H * hd, d, std=0.3), p + 'self_attn.k_proj.weight': r(KV * hd, d, std=0.3),
            p + 'self_attn.v_proj.weight': r(KV * hd, d), p + 'self_attn.o_proj.weight': r(d, H * hd),
            p + 'post_attention_layernorm.weight': 1 + r(d, std=0.1),
            p + 'mlp.gate_proj.weight': r(F, d), p + 'mlp.up_proj.weight': r(F, d), p + 'mlp.down_proj.weight': r(d, F),
        })
        if qwen:
            W.update({p + 'self_attn.q_proj.bias': r(H * hd, std=0.2), p + 'self_attn.k_proj.bias': r(KV * hd, std=0.2),
                      p + 'self_attn.v_proj.bias': r(KV * hd, std=0.2)})
    W['model.norm.weight'] = 1 + r(d, std=0.1)
    if not qwen:
        W['lm_head.weight'] = r(V, d, std=0.3)
    return cfg, W, dict(W), llama_forward, F


# ------------------------------------------------------------------------------------------
# Gemma-2 (modeling_gemma2.py).


def gemma2_forward(cfg, W, ids, mask, hooks):
    d, H, KV, hd = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads'], cfg['head_dim']
    eps = cfg['rms_norm_eps']
    B, T = ids.shape
    pos = position_ids_from_mask(mask)
    cos, sin = rope_cos_sin(pos, hd, cfg['rope_theta'])
    lin = lambda x, name: x @ W[name + '.weight'].T  # noqa: E731
    x = W['model.embed_tokens.weight'][ids] * torch.tensor(d ** 0.5, dtype=torch.float32)
    x = hooks('hook_embed', x)
    scaling = cfg['query_pre_attn_scalar'] ** -0.5
    for L in range(cfg['num_hidden_layers']):
        p = f'model.layers.{L}.'
        sliding = cfg['sliding_window'] if L % 2 == 0 else None  # even layers are local
        am = additive_mask(mask, sliding)
        x = hooks(f'blocks.{L}.hook_resid_pre', x)
        h = gemma_rms_norm(x, W[p + 'input_layernorm.weight'], eps)
        q = lin(h, p + 'self_attn.q_proj').view(B, T, H, hd).transpose(1, 2)
        k = lin(h, p + 'self_attn.k_proj').view(B, T, KV, hd).transpose(1, 2)
        v = lin(h, p + 'self_attn.v_proj').view(B, T, KV, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, H // KV), repeat_kv(v, H // KV)
        att = (q @ k.transpose(2, 3)) * scaling
        cap = cfg['attn_logit_softcapping']
        att = torch.tanh(att / cap) * cap
        att = torch.softmax(att + am, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, H * hd)
        a = lin(a, p + 'self_attn.o_proj')
        a = hooks(f'blocks.{L}.hook_attn_out', gemma_rms_norm(a, W[p + 'post_attention_layernorm.weight'], eps))
        x = hooks(f'blocks.{L}.hook_resid_mid', x + a)
        h = gemma_rms_norm(x, W[p + 'pre_feedforward_layernorm.weight'], eps)
        h = hooks(f'blocks.{L}.mlp.hook_post', gelu_tanh(lin(h, p + 'mlp.gate_proj')) * lin(h, p + 'mlp.up_proj'))
        m = lin(h, p + 'mlp.down_proj')
        m = hooks(f'blocks.{L}.hook_mlp_out', gemma_rms_norm(m, W[p + 'post_feedforward_layernorm.weight'], eps))
        x = hooks(f'blocks.{L}.hook_resid_post', x + m)
    x = hooks('ln_final.hook_normalized', gemma_rms_norm(x, W['model.norm.weight'], eps))
    logits = x @ W['model.embed_tokens.weight'].T
    cap = cfg['final_logit_softcapping']
    return torch.tanh(logits / cap) * cap


def make_gemma2():
    d, H, KV, hd, F, V = 32, 4, 2, 16, 64, 300
    cfg = {
        'model_type': 'gemma2', 'architectures': ['Gemma2ForCausalLM'], 'vocab_size': V, 'hidden_size': d,
        'intermediate_size': F, 'num_hidden_layers': 2, 'num_attention_heads': H, 'num_key_value_heads': KV,
        'head_dim': hd, 'hidden_activation': 'gelu_pytorch_tanh', 'hidden_act': 'gelu_pytorch_tanh',
        'max_position_embeddings': 128, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'attention_bias': False,
        'query_pre_attn_scalar': 24, 'sliding_window': 4, 'final_logit_softcapping': 3.0,
        'attn_logit_softcapping': 5.0, 'tie_word_embeddings': True, 'bos_token_id': 299, 'eos_token_id': 298,
        'pad_token_id': 298, 'cache_implementation': 'hybrid', 'torch_dtype': 'float32',
    }
    r = lambda *s, std=0.2: torch.randn(*s) * std  # noqa: E731
    W = {'model.embed_tokens.weight': r(V, d, std=0.3)}
    for L in range(2):
        p = f'model.layers.{L}.'
        W.update({
            p + 'input_layernorm.weight': r(d, std=0.1),
            p + 'self_attn.q_proj.weight': r(H * hd, d, std=0.5), p + 'self_attn.k_proj.weight': r(KV * hd, d, std=0.5),
            p + 'self_attn.v_proj.weight': r(KV * hd, d), p + 'self_attn.o_proj.weight': r(d, H * hd),
            p + 'post_attention_layernorm.weight': r(d, std=0.1),
            p + 'pre_feedforward_layernorm.weight': r(d, std=0.1),
            p + 'post_feedforward_layernorm.weight': r(d, std=0.1),
            p + 'mlp.gate_proj.weight': r(F, d), p + 'mlp.up_proj.weight': r(F, d), p + 'mlp.down_proj.weight': r(d, F),
        })
    W['model.norm.weight'] = r(d, std=0.1)
    return cfg, W, dict(W), gemma2_forward, F


# ------------------------------------------------------------------------------------------
# Cases: token sequences from the tokenizer, a left- and a right-padded batch, two interventions.


def run_case(forward, cfg, W, ids, mask, edits=None):
    hooks = Hooks(edits)
    logits = forward(cfg, W, torch.tensor(ids), torch.tensor(mask), hooks)
    return logits, hooks.acts


def main():
    os.makedirs(ROOT, exist_ok=True)
    tok_json, ref_bpe, eos_id, bos_id = build_tokenizer()

    # Tokenizer cases: ids from the reference BPE; the JS side must reproduce them.
    write_json(os.path.join(ROOT, 'tokenizer_cases.json'), {
        'eos_id': eos_id, 'bos_id': bos_id,
        'cases': [{'text': t, 'ids': ref_bpe.encode(t)} for t in TOKENIZER_TEXTS],
    })

    text_a = 'The quick brown fox jumps over the lazy dog and the cat.'
    text_b = 'the cat sat on the mat'
    ids_a = ref_bpe.encode(text_a)[:12]
    ids_b = ref_bpe.encode(text_b)[:7]
    assert len(ids_a) == 12 and len(ids_b) == 7, (len(ids_a), len(ids_b))
    pad = eos_id
    T = len(ids_a)
    n_pad = T - len(ids_b)

    for name, maker in [('gpt2', make_gpt2), ('llama', lambda: make_llama_like('llama')),
                        ('qwen2', lambda: make_llama_like('qwen2')), ('gemma2', make_gemma2)]:
        cfg, W, saved, forward, d_mlp = maker()
        folder = os.path.join(ROOT, name)
        os.makedirs(folder, exist_ok=True)
        write_json(os.path.join(folder, 'config.json'), cfg)
        write_safetensors(os.path.join(folder, 'model.safetensors'), saved)
        write_json(os.path.join(folder, 'tokenizer.json'), tok_json)
        add_bos = name in ('llama', 'gemma2')
        write_json(os.path.join(folder, 'tokenizer_config.json'), {
            'bos_token': BOS if add_bos else EOS, 'eos_token': EOS, 'add_bos_token': add_bos, 'add_eos_token': False,
            'model_max_length': 128, 'clean_up_tokenization_spaces': False,
            'tokenizer_class': 'PreTrainedTokenizerFast',
        })

        d_model = cfg.get('n_embd') or cfg['hidden_size']
        gen = torch.Generator().manual_seed(99)
        add_vec = (torch.randn(d_model, generator=gen) * 2.0)
        ablate_neurons = [1, 5, 9, 17]
        add_positions = [2, 3, 7]

        def zero_neurons(x):
            x = x.clone()
            x[..., ablate_neurons] = 0.0
            return x

        def add_at_positions(x):
            x = x.clone()
            x[:, add_positions, :] += add_vec
            return x

        cases = [
            {'name': 'single', 'tokens': [ids_a], 'mask': [[1] * T]},
            {'name': 'left_pad', 'tokens': [ids_a, [pad] * n_pad + ids_b], 'mask': [[1] * T, [0] * n_pad + [1] * len(ids_b)]},
            {'name': 'right_pad', 'tokens': [ids_b + [pad] * n_pad, ids_a], 'mask': [[1] * len(ids_b) + [0] * n_pad, [1] * T]},
            {'name': 'ablate_zero', 'tokens': [ids_a], 'mask': [[1] * T],
             'interventions': [{'hook': 'blocks.1.mlp.hook_post', 'kind': 'ablate-zero', 'target': {'neurons': ablate_neurons}}],
             'edits': {'blocks.1.mlp.hook_post': zero_neurons}},
            {'name': 'add_vector', 'tokens': [ids_a], 'mask': [[1] * T],
             'interventions': [{'hook': 'blocks.0.hook_resid_post', 'kind': 'add', 'target': {'vector': add_vec.tolist()},
                                'positions': add_positions}],
             'edits': {'blocks.0.hook_resid_post': add_at_positions}},
        ]
        expected = {}
        case_json = []
        for case in cases:
            logits, acts = run_case(forward, cfg, W, case['tokens'], case['mask'], case.get('edits'))
            expected[f"{case['name']}.logits"] = logits
            # Every hook for the plain and left-padded cases; a few for the rest (fixtures stay small).
            keep = set(acts) if case['name'] in ('single', 'left_pad') else {
                'ln_final.hook_normalized', *case.get('edits', {}).keys()}
            for hook, act in acts.items():
                if hook in keep:
                    expected[f"{case['name']}.{hook}"] = act
            case_json.append({k: v for k, v in case.items() if k != 'edits'})

        # Sanity of the reference itself: padding must not change the logits at real tokens.
        single = expected['single.logits'][0]
        unpadded_b, _ = run_case(forward, cfg, W, [ids_b], [[1] * len(ids_b)])
        assert torch.allclose(expected['left_pad.logits'][0], single, atol=1e-5)
        assert torch.allclose(expected['left_pad.logits'][1, n_pad:], unpadded_b[0], atol=1e-5)
        assert torch.allclose(expected['right_pad.logits'][0, :len(ids_b)], unpadded_b[0], atol=1e-5)
        assert torch.allclose(expected['right_pad.logits'][1], single, atol=1e-5)
        # The interventions must actually move the output.
        assert (expected['ablate_zero.logits'] - expected['single.logits']).abs().max() > 1e-3
        assert (expected['add_vector.logits'] - expected['single.logits']).abs().max() > 1e-3

        # Greedy continuation with a full forward per step (no cache): the KV-cache path must match.
        seq = list(ids_b)
        for _ in range(6):
            lg, _ = run_case(forward, cfg, W, [seq], [[1] * len(seq)])
            seq.append(int(lg[0, -1].argmax()))
        case_json.append({'name': 'greedy', 'prompt': ids_b, 'expected': seq[len(ids_b):]})

        write_safetensors(os.path.join(folder, 'expected.safetensors'), expected)
        write_json(os.path.join(folder, 'cases.json'), {'d_mlp': d_mlp, 'cases': case_json})
        print(name, 'ok', sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)), 'bytes')


if __name__ == '__main__':
    main()
