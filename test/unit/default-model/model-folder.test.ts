// The shipped default model folder: the files a Hugging Face GPT-2 folder has, a config the
// engine reads as GPT-2, and every checkpoint tensor with the shape HF GPT2LMHeadModel expects.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../../src/engine/formats/safetensors';
import { parseModelConfig } from '../../../src/engine/model/config';

const MODEL_DIR = resolve(__dirname, '../../../resources/models/featurescope-tiny');

describe('featurescope-tiny folder', () => {
  it('has the Hugging Face files, a model card and provenance, and stays small', () => {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'README.md', 'PROVENANCE.md']) {
      expect(existsSync(resolve(MODEL_DIR, f)), f).toBe(true);
    }
    expect(statSync(resolve(MODEL_DIR, 'model.safetensors')).size).toBeLessThan(20 * 1024 * 1024);
  });

  it('stores every GPT-2 tensor with HF names and Conv1D [in, out] shapes', () => {
    const raw = JSON.parse(readFileSync(resolve(MODEL_DIR, 'config.json'), 'utf8')) as Record<string, number | string>;
    expect(raw.model_type).toBe('gpt2');
    const c = parseModelConfig(JSON.stringify(raw));
    const d = raw.n_embd as number;
    const vocab = raw.vocab_size as number;
    const tokenizer = JSON.parse(readFileSync(resolve(MODEL_DIR, 'tokenizer.json'), 'utf8')) as { model: { vocab: object } };
    expect(Object.keys(tokenizer.model.vocab).length).toBe(vocab);

    const expected = new Map<string, number[]>([
      ['transformer.wte.weight', [vocab, d]],
      ['transformer.wpe.weight', [raw.n_positions as number, d]],
      ['transformer.ln_f.weight', [d]],
      ['transformer.ln_f.bias', [d]],
    ]);
    for (let l = 0; l < (raw.n_layer as number); l++) {
      const p = `transformer.h.${l}.`;
      for (const [n, s] of [
        ['ln_1.weight', [d]], ['ln_1.bias', [d]],
        ['attn.c_attn.weight', [d, 3 * d]], ['attn.c_attn.bias', [3 * d]],
        ['attn.c_proj.weight', [d, d]], ['attn.c_proj.bias', [d]],
        ['ln_2.weight', [d]], ['ln_2.bias', [d]],
        ['mlp.c_fc.weight', [d, 4 * d]], ['mlp.c_fc.bias', [4 * d]],
        ['mlp.c_proj.weight', [4 * d, d]], ['mlp.c_proj.bias', [d]],
      ] as [string, number[]][]) expected.set(p + n, s);
    }
    const file = SafetensorsFile.open(resolve(MODEL_DIR, 'model.safetensors'));
    try {
      const stored = new Map([...file.tensors].map(([name, e]) => [name, e.shape.map(Number)]));
      expect(new Set(stored.keys())).toEqual(new Set(expected.keys())); // tied head: no lm_head.weight
      for (const [name, shape] of expected) {
        expect(stored.get(name), name).toEqual(shape);
        expect(file.tensors.get(name)!.dtype).toBe('F32');
      }
      const wte = file.readFloat32('transformer.wte.weight');
      expect(wte.every(Number.isFinite)).toBe(true);
    } finally {
      file.close();
    }
    expect(c.dModel).toBe(d);
    expect(c.tieWordEmbeddings).toBe(true);
  });
});
