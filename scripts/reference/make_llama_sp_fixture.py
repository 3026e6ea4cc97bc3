#!/usr/bin/python3
"""A tiny SentencePiece-style Llama for multi-token metrics: test/fixtures/models/llama-sp-tiny/.

Small-vocabulary Llamas (karpathy's TinyStories llama2.c models, 512 pieces) write " his" and
" her" as two pieces. This fixture reproduces that with random weights and a 512-piece BPE in the
layout Llama-2's tokenizer.json uses (which @huggingface/tokenizers reads in the app):
  normalizer  Prepend("▁") then Replace(" " → "▁")   (SentencePiece's dummy prefix)
  model       BPE with byte_fallback (<0x00>…<0xFF> for characters outside the vocabulary)
  decoder     Replace("▁" → " "), ByteFallback, Fuse, Strip(1 leading space)
  specials    <unk> 0, <s> 1 (added at the start), </s> 2
The merges that would make "▁his" and "▁her" are left out on purpose, so both pronouns are two
pieces in context as well as on their own.

Written here, independently of the app's code:
  config.json, model.safetensors, tokenizer.json, tokenizer_config.json  (a Hugging Face folder)
  cases.json        texts and the ids this file's own SentencePiece-BPE encoder gives them; metric
                    cases: prompt ids, the continuation's ids in context, and the teacher-forced
                    log-probability of each continuation token from a plain PyTorch forward
                    (scripts/reference/make_model_fixtures.py's llama_forward)
  expected.safetensors  for the gradient case: blocks.L.mlp.hook_post at the prompt positions and
                    the torch autograd gradient of the summed log-probability with respect to it

Run with Debian's torch:  /usr/bin/python3 scripts/reference/make_llama_sp_fixture.py
"""

import json
import math
import os
import re
import sys
from collections import Counter

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import Hooks, llama_forward, write_json, write_safetensors  # noqa: E402

torch.set_grad_enabled(True)
torch.manual_seed(2718)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'models', 'llama-sp-tiny')
SP = '\u2581'  # ▁
VOCAB = 512
SPECIALS = ['<unk>', '<s>', '</s>']
FORBIDDEN = {SP + 'his', SP + 'her'}

STORY = """Once upon a time there was a little girl named Lily. She loved to play in the park with her
friends. One day, Lily went to the park and saw a big dog. The dog was happy and wagged its tail.
Lily looked at the dog and smiled. Her mom said, "Be careful!" Lily was careful and gave the dog a
hug. Tom was a boy who liked his red ball. He threw his ball to the dog, and the dog ran after it.
They played all day and went home happy. The end."""


def corpus():
    # The gendered contrast set's own prompts, so its words get pieces of their own (digits and
    # accented letters stay outside the vocabulary: they come out as byte pieces).
    with open(os.path.join(ROOT, 'resources', 'contrast-sets', 'gendered.json'), encoding='utf-8') as f:
        pairs = json.load(f)['pairs']
    return STORY + '\n' + '\n'.join(p['a'] + ' ' + p['b'] for p in pairs)


def normalize(text):
    return SP + text.replace(' ', SP)


def words_of(normalized):
    # SentencePiece splits at whitespace: no piece spans two words; "▁" only starts a piece.
    return re.findall(SP + '*[^' + SP + ']*', normalized)


def train():
    text = corpus()
    words = Counter()
    for line in text.split('\n'):
        for w in words_of(normalize(line)):
            if w:
                words[tuple(w)] += 1
    alphabet = sorted({ch for w in words for ch in w})
    pieces = list(alphabet)
    merges = []
    budget = VOCAB - len(SPECIALS) - 256 - len(alphabet)
    while len(merges) < budget:
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                if a + b not in FORBIDDEN:
                    pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], [-ord(ch) for ch in kv[0][0] + '\0' + kv[0][1]]))[0]
        merges.append(best)
        pieces.append(best[0] + best[1])
        new_words = Counter()
        for w, c in words.items():
            new_words[tuple(merge_word(list(w), best))] += c
        words = new_words
    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for b in range(256):
        vocab[f'<0x{b:02X}>'] = len(vocab)
    for p in pieces:
        if p not in vocab:
            vocab[p] = len(vocab)
    assert len(vocab) == VOCAB, len(vocab)
    return vocab, merges


def merge_word(parts, pair):
    out = []
    i = 0
    while i < len(parts):
        if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
            out.append(parts[i] + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


class Encoder:
    """SentencePiece-style BPE: dummy prefix, merges by rank inside each word, byte fallback."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {m: r for r, m in enumerate(merges)}

    def encode(self, text, bos=True):
        ids = [self.vocab['<s>']] if bos else []
        for w in words_of(normalize(text)):
            if not w:
                continue
            parts = list(w)
            while len(parts) > 1:
                rank, i = min((self.ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:])))
                if rank == math.inf:
                    break
                parts = merge_word(parts, (parts[i], parts[i + 1]))
            for p in parts:
                if p in self.vocab:
                    ids.append(self.vocab[p])
                else:
                    ids.extend(self.vocab[f'<0x{b:02X}>'] for b in p.encode('utf-8'))
        return ids


def tokenizer_json(vocab, merges):
    added = [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True} for i, t in enumerate(SPECIALS)]
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': added,
        'normalizer': {'type': 'Sequence', 'normalizers': [{'type': 'Prepend', 'prepend': SP}, {'type': 'Replace', 'pattern': {'String': ' '}, 'content': SP}]},
        'pre_tokenizer': None,
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '<s>', 'type_id': 1}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
            'special_tokens': {'<s>': {'id': '<s>', 'ids': [1], 'tokens': ['<s>']}},
        },
        'decoder': {'type': 'Sequence', 'decoders': [
            {'type': 'Replace', 'pattern': {'String': SP}, 'content': ' '},
            {'type': 'ByteFallback'},
            {'type': 'Fuse'},
            {'type': 'Strip', 'content': ' ', 'start': 1, 'stop': 0},
        ]},
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': '<unk>', 'continuing_subword_prefix': None, 'end_of_word_suffix': None,
            'fuse_unk': True, 'byte_fallback': True, 'ignore_merges': False,
            'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges],
        },
    }


def make_model():
    d, H, KV, F = 32, 4, 2, 64
    cfg = {
        'model_type': 'llama', 'architectures': ['LlamaForCausalLM'], 'vocab_size': VOCAB, 'hidden_size': d,
        'intermediate_size': F, 'num_hidden_layers': 2, 'num_attention_heads': H, 'num_key_value_heads': KV,
        'hidden_act': 'silu', 'max_position_embeddings': 256, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0,
        'rope_scaling': None, 'tie_word_embeddings': False, 'attention_bias': False, 'mlp_bias': False,
        'bos_token_id': 1, 'eos_token_id': 2, 'torch_dtype': 'float32',
    }
    r = lambda *s, std=0.2: torch.randn(*s) * std  # noqa: E731
    hd = d // H
    W = {'model.embed_tokens.weight': r(VOCAB, d, std=0.5)}
    for L in range(2):
        p = f'model.layers.{L}.'
        W.update({
            p + 'input_layernorm.weight': 1 + r(d, std=0.1),
            p + 'self_attn.q_proj.weight': r(H * hd, d, std=0.3), p + 'self_attn.k_proj.weight': r(KV * hd, d, std=0.3),
            p + 'self_attn.v_proj.weight': r(KV * hd, d), p + 'self_attn.o_proj.weight': r(d, H * hd),
            p + 'post_attention_layernorm.weight': 1 + r(d, std=0.1),
            p + 'mlp.gate_proj.weight': r(F, d), p + 'mlp.up_proj.weight': r(F, d), p + 'mlp.down_proj.weight': r(d, F),
        })
    W['model.norm.weight'] = 1 + r(d, std=0.1)
    W['lm_head.weight'] = r(VOCAB, d, std=0.6)
    return cfg, W


def continuation(enc, prompt, text):
    """The continuation's ids as the tokenizer writes prompt + text (lm-eval-harness's split)."""
    whole = enc.encode(prompt + text, bos=False)
    base = enc.encode(prompt, bos=False)
    assert whole[:len(base)] == base, (prompt, text)
    return whole[len(base):]


def log_probs(cfg, W, prompt_ids, cont, edits=None):
    """log p of each continuation token, teacher-forced: one forward over prompt + cont[:-1]."""
    ids = prompt_ids + cont[:-1]
    hooks = Hooks(edits)
    logits = llama_forward(cfg, W, torch.tensor([ids]), torch.ones(1, len(ids), dtype=torch.long), hooks)
    lp = torch.log_softmax(logits[0].double(), dim=-1)
    start = len(prompt_ids) - 1
    return [lp[start + j, t] for j, t in enumerate(cont)], hooks


def main():
    os.makedirs(OUT, exist_ok=True)
    vocab, merges = train()
    enc = Encoder(vocab, merges)
    ident = {v: k for k, v in vocab.items()}

    for word in (' his', ' her'):
        pieces = continuation(enc, 'He is a nurse who loves', word)
        assert len(pieces) == 2, (word, [ident[i] for i in pieces])

    cfg, W = make_model()
    write_json(os.path.join(OUT, 'config.json'), cfg)
    write_safetensors(os.path.join(OUT, 'model.safetensors'), W)
    write_json(os.path.join(OUT, 'tokenizer.json'), tokenizer_json(vocab, merges))
    write_json(os.path.join(OUT, 'tokenizer_config.json'), {
        'bos_token': '<s>', 'eos_token': '</s>', 'unk_token': '<unk>', 'add_bos_token': True, 'add_eos_token': False,
        'legacy': True, 'model_max_length': 256, 'clean_up_tokenization_spaces': False, 'tokenizer_class': 'LlamaTokenizerFast',
    })

    texts = [' his', ' her', 'his', 'He is a nurse who loves his', 'She is a nurse who loves her', 'Lily looked at the dog.',
             'In 2024 the café opened', '  two  spaces']
    tokenizer_cases = [{'text': t, 'ids': enc.encode(t, bos=False), 'pieces': [ident[i] for i in enc.encode(t, bos=False)]} for t in texts]

    W_dec = {k: v.detach() for k, v in W.items()}
    metric_cases = []
    for prompt, text in [('He is a nurse who loves', ' his'), ('He is a nurse who loves', ' her'), ('She is a nurse who loves', ' her'),
                         ('Once upon a time there was a little', ' girl named Lily'), ('Lily went to the', ' park')]:
        prompt_ids = enc.encode(prompt)
        cont = continuation(enc, prompt, text)
        with torch.no_grad():
            lps, _ = log_probs(cfg, W_dec, prompt_ids, cont)
        metric_cases.append({'prompt': prompt, 'text': text, 'promptIds': prompt_ids, 'continuation': cont,
                             'pieces': [ident[i] for i in cont], 'tokenLogProbs': [float(x) for x in lps], 'sum': float(sum(lps))})

    # Gradient case: ∂/∂a of Σ log p(" girl named Lily" | prompt) at blocks.L.mlp.hook_post, prompt positions only.
    g_prompt, g_text = 'Once upon a time there was a little', ' girl named Lily'
    g_ids = enc.encode(g_prompt)
    g_cont = continuation(enc, g_prompt, g_text)
    P = len(g_ids)
    deltas = {L: torch.zeros(1, P, cfg['intermediate_size'], requires_grad=True) for L in range(2)}

    def adder(L):
        def edit(x):
            pad = torch.zeros(1, x.shape[1] - P, x.shape[2])
            return x + torch.cat([deltas[L], pad], dim=1)
        return edit

    lps, hooks = log_probs(cfg, W_dec, g_ids, g_cont, {f'blocks.{L}.mlp.hook_post': adder(L) for L in range(2)})
    total = sum(lps)
    total.backward()
    expected = {}
    for L in range(2):
        expected[f'grad.blocks.{L}.mlp.hook_post'] = deltas[L].grad[0].float()
        expected[f'act.blocks.{L}.mlp.hook_post'] = hooks.acts[f'blocks.{L}.mlp.hook_post'][0, :P].detach()
    write_safetensors(os.path.join(OUT, 'expected.safetensors'), expected)
    write_json(os.path.join(OUT, 'cases.json'), {
        'tokenizer': tokenizer_cases,
        'metric': metric_cases,
        'gradient': {'prompt': g_prompt, 'text': g_text, 'promptIds': g_ids, 'continuation': g_cont, 'sum': float(total)},
    })
    print('llama-sp-tiny ok', sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT)), 'bytes;',
          {c['text']: c['pieces'] for c in metric_cases})


if __name__ == '__main__':
    main()
