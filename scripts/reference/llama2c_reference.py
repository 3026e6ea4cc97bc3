#!/usr/bin/python3
"""Reference for the llama2c importer (src/engine/formats/llama2c*.ts): llama2.c's run.c, in numpy.

Reads a llama2.c checkpoint (.bin) and tokenizer (.bin) directly — not the converted Hugging Face
folder — and implements run.c's forward (RMSNorm eps 1e-5, RoPE on adjacent pairs of each head,
grouped-query attention, SwiGLU, tied or separate classifier), its BPE encoder (dummy space
prefix, best-score greedy merges, <0xNN> byte fallback) and its decoder (the leading space after
BOS dropped, <0xNN> pieces as raw bytes). No torch, transformers or sentencepiece.

Writes test/fixtures/llama2c/stories260K-reference.json:
  forward: {tokens, positions, logits (at those positions)} for a BOS-prefixed encoded prompt;
  encode: texts and the ids run.c's encoder gives (BOS prepended);
  greedy: the ids and text of greedy decoding from BOS alone (what `./run -t 0` prints).

Run:  /usr/bin/python3 scripts/reference/llama2c_reference.py [MODEL.bin TOKENIZER.bin]
"""

import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
DEFAULT_MODEL = os.path.join(ROOT, '..', '..', 'shared', 'models', 'stories260K', 'stories260K.bin')
DEFAULT_TOKENIZER = os.path.join(ROOT, '..', '..', 'shared', 'models', 'stories260K', 'tok512.bin')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'llama2c', 'stories260K-reference.json')


def read_checkpoint(path):
    with open(path, 'rb') as f:
        data = f.read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack('<7i', data[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    w = np.frombuffer(data, dtype='<f4', offset=28)
    head = dim // n_heads
    at = 0

    def take(*shape):
        nonlocal at
        n = int(np.prod(shape))
        out = w[at:at + n].reshape(shape)
        at += n
        return out

    p = {'dim': dim, 'hidden': hidden, 'n_layers': n_layers, 'n_heads': n_heads, 'n_kv': n_kv, 'vocab': vocab, 'seq_len': seq_len}
    p['tok'] = take(vocab, dim)
    p['rms_att'] = take(n_layers, dim)
    p['wq'] = take(n_layers, dim, n_heads * head)
    p['wk'] = take(n_layers, n_kv * head, dim)
    p['wv'] = take(n_layers, n_kv * head, dim)
    p['wo'] = take(n_layers, dim, n_heads * head)
    p['rms_ffn'] = take(n_layers, dim)
    p['w1'] = take(n_layers, hidden, dim)
    p['w2'] = take(n_layers, dim, hidden)
    p['w3'] = take(n_layers, hidden, dim)
    p['rms_final'] = take(dim)
    at += seq_len * head // 2  # freq_cis_real (unused: run.c computes RoPE itself)
    at += seq_len * head // 2  # freq_cis_imag
    p['wcls'] = p['tok'] if shared else take(vocab, dim)
    return p


def rmsnorm(x, weight):
    ss = np.mean(x.astype(np.float64) ** 2) + 1e-5
    return (weight * (x / np.sqrt(ss))).astype(np.float32)


def forward_all(p, tokens):
    """Logits at every position, run.c's math position by position with its KV cache."""
    dim, n_heads, n_kv, hidden = p['dim'], p['n_heads'], p['n_kv'], p['hidden']
    head = dim // n_heads
    group = n_heads // n_kv
    keys = [[] for _ in range(p['n_layers'])]
    values = [[] for _ in range(p['n_layers'])]
    out = []
    for pos, token in enumerate(tokens):
        x = p['tok'][token].astype(np.float64)
        for l in range(p['n_layers']):
            xb = rmsnorm(x, p['rms_att'][l]).astype(np.float64)
            q = p['wq'][l].astype(np.float64) @ xb
            k = p['wk'][l].astype(np.float64) @ xb
            v = p['wv'][l].astype(np.float64) @ xb
            # RoPE: run.c rotates (i, i+1) pairs; frequency from the index inside the head.
            for i in range(0, dim, 2):
                hd = i % head
                freq = 1.0 / (10000.0 ** (hd / head))
                c, s = np.cos(pos * freq), np.sin(pos * freq)
                for vec in (q, k) if i < n_kv * head else (q,):
                    a, b = vec[i], vec[i + 1]
                    vec[i], vec[i + 1] = a * c - b * s, a * s + b * c
            keys[l].append(k)
            values[l].append(v)
            att_out = np.zeros(dim)
            K = np.stack(keys[l])
            V = np.stack(values[l])
            for h in range(n_heads):
                kh = h // group
                qh = q[h * head:(h + 1) * head]
                scores = K[:, kh * head:(kh + 1) * head] @ qh / np.sqrt(head)
                scores = np.exp(scores - scores.max())
                scores /= scores.sum()
                att_out[h * head:(h + 1) * head] = scores @ V[:, kh * head:(kh + 1) * head]
            x = x + p['wo'][l].astype(np.float64) @ att_out
            xb = rmsnorm(x, p['rms_ffn'][l]).astype(np.float64)
            h1 = p['w1'][l].astype(np.float64) @ xb
            h3 = p['w3'][l].astype(np.float64) @ xb
            hb = h1 / (1.0 + np.exp(-h1)) * h3
            x = x + p['w2'][l].astype(np.float64) @ hb
        x = rmsnorm(x, p['rms_final']).astype(np.float64)
        out.append(p['wcls'].astype(np.float64) @ x)
    return np.array(out)


def read_tokenizer(path, vocab_size):
    with open(path, 'rb') as f:
        data = f.read()
    (max_len,) = struct.unpack('<i', data[:4])
    at = 4
    pieces, scores = [], []
    for _ in range(vocab_size):
        score, n = struct.unpack('<fi', data[at:at + 8])
        at += 8
        pieces.append(data[at:at + n])
        at += n
        scores.append(score)
    return pieces, scores


def encode(pieces, scores, text):
    """run.c's encode(text, bos=1, eos=0)."""
    lookup = {piece: i for i, piece in enumerate(pieces)}
    tokens = []
    raw = text.encode('utf-8')
    if raw:
        tokens.append(lookup[b' '])
    for ch in text:
        b = ch.encode('utf-8')
        if b in lookup:
            tokens.append(lookup[b])
        else:
            tokens.extend(x + 3 for x in b)
    while True:
        best, best_id, best_at = -1e10, -1, -1
        for i in range(len(tokens) - 1):
            merged = pieces[tokens[i]] + pieces[tokens[i + 1]]
            j = lookup.get(merged)
            if j is not None and scores[j] > best:
                best, best_id, best_at = scores[j], j, i
        if best_at == -1:
            break
        tokens[best_at:best_at + 2] = [best_id]
    return [1] + tokens


def decode_piece(pieces, prev, token):
    piece = pieces[token]
    if prev == 1 and piece.startswith(b' '):
        piece = piece[1:]
    if len(piece) == 6 and piece.startswith(b'<0x') and piece.endswith(b'>'):
        return bytes([int(piece[3:5], 16)])
    return piece


def greedy_from_bos(p, pieces, steps):
    tokens = [1]
    text = b''
    # Full-sequence forward each step is quadratic, but the model is tiny; run.c's loop stops at BOS.
    logits_cache = None
    while len(tokens) < steps:
        logits_cache = forward_all(p, tokens)
        nxt = int(np.argmax(logits_cache[-1]))
        if nxt == 1:
            break
        text += decode_piece(pieces, tokens[-1], nxt)
        tokens.append(nxt)
    return tokens, text.decode('utf-8', errors='replace')


def published_sample(md_path):
    with open(md_path, encoding='utf-8') as f:
        return f.read().split('-t 0.0\n')[1].split('\n```')[0]


def main():
    model_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL
    tok_path = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_TOKENIZER
    p = read_checkpoint(model_path)
    pieces, scores = read_tokenizer(tok_path, p['vocab'])
    texts = [
        'Once upon a time, there was a little girl named Lily.',
        'She said, "I want to play!"\nThe end.',
        'Timmy ate 3 sandwiches — café, naïve 🙂',
        '  two  spaces',
        published_sample(os.path.join(os.path.dirname(model_path), 'stories260K.md')),
    ]
    prompt = encode(pieces, scores, texts[0])
    logits = forward_all(p, prompt)
    positions = [0, 1, len(prompt) // 2, len(prompt) - 1]
    greedy_tokens, greedy_text = greedy_from_bos(p, pieces, 80)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w', encoding='utf-8') as f:
        json.dump(
            {
                'source': 'scripts/reference/llama2c_reference.py (run.c math in numpy, float64) on stories260K.bin and tok512.bin',
                'forward': {'tokens': prompt, 'positions': positions, 'logits': [[round(float(v), 6) for v in logits[i]] for i in positions]},
                'encode': [{'text': t, 'ids': encode(pieces, scores, t)} for t in texts],
                'greedy': {'tokens': greedy_tokens, 'text': greedy_text},
            },
            f,
            ensure_ascii=False,
        )
        f.write('\n')
    print(greedy_text)


if __name__ == '__main__':
    main()
