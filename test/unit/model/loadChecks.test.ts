// Issue #19 findings 6 and 9 at the model folder: config.json checked against the weight headers
// (naming the field), NaN/Inf weights refused naming the tensor and element unless allowed, BOS/EOS
// ids inside the vocabulary, an unknown tokenizer model type refused by name.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { SafetensorsFile, type TensorToWrite, writeSafetensors } from '../../../src/engine/formats/safetensors';
import { loadModel } from '../../../src/engine/model/load';
import { ModelTokenizer } from '../../../src/engine/model/tokenizer';
import { FeaturescopeError } from '../../../src/shared/errors';
import { asyncErrorOf as errorOf } from '../error-of';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
let dir: string;
let copies = 0;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'fs-load-checks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copyOf(name: string): string {
  const to = join(dir, `${name}-${copies++}`);
  cpSync(join(FIXTURES, name), to, { recursive: true });
  return to;
}

function editJson(path: string, edit: (o: Record<string, unknown>) => void): void {
  const o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(o);
  writeFileSync(path, JSON.stringify(o));
}

/** Rewrites model.safetensors with one element of one tensor replaced, optionally as BF16. */
function poison(folder: string, tensor: string, flatIndex: number, value: number, dtype: 'F32' | 'BF16' = 'F32'): void {
  const path = join(folder, 'model.safetensors');
  const src = SafetensorsFile.open(path);
  const tensors: TensorToWrite[] = [...src.tensors.keys()].map((name) => {
    const data = src.readFloat32(name).slice();
    if (name === tensor) data[flatIndex] = value;
    const bits = new Uint32Array(data.buffer);
    // BF16 as the top half of f32 (the fixture's values need not be exact for this test).
    return dtype === 'F32'
      ? { name, dtype, shape: [...src.entry(name).shape], data }
      : { name, dtype, shape: [...src.entry(name).shape], data: Uint16Array.from(bits, (b) => b >>> 16) };
  });
  src.close();
  writeSafetensors(path, tensors);
}

describe('config.json against the weight headers (before the model is built)', () => {
  it.each([
    ['gpt2', { n_layer: 3 }, 'n_layer', 'is 3, but the weight files hold 2 layers (indices 0 … 1)'],
    ['gpt2', { vocab_size: 299, bos_token_id: 1, eos_token_id: 1 }, 'vocab_size', 'has shape [300, 32], not 299 on axis 0'],
    ['gpt2', { n_positions: 32 }, 'n_positions', '"transformer.wpe.weight" has shape [64, 32], not 32'],
    ['llama', { num_hidden_layers: 1 }, 'num_hidden_layers', 'is 1, but the weight files hold 2 layers'],
    ['llama', { num_key_value_heads: 4 }, 'num_key_value_heads', 'not 32 (4 × head_dim 8) on axis 0'],
    ['gemma2', { hidden_size: 16, num_attention_heads: 4, head_dim: 16 }, 'hidden_size', 'not 16 on axis 1'],
  ])('%s %j → refused naming %s', async (name, edit, field, rule) => {
    const folder = copyOf(name);
    editJson(join(folder, 'config.json'), (o) => Object.assign(o, edit));
    const err = await errorOf(() => loadModel(folder));
    expect(err.code).toBe('bad_file');
    expect(err.field).toBe(field);
    expect(err.message).toContain(`config.json: field "${field}"`);
    expect(err.message).toContain(rule);
  });
});

describe('special tokens and the tokenizer model', () => {
  it('refuses a tokenizer BOS/EOS id outside config.json vocab_size, naming tokenizer_config.json', async () => {
    const folder = copyOf('gpt2');
    // The fixture's "<|endoftext|>" is id 298; shrink the vocabulary below it (embedding rows too).
    const tok = ModelTokenizer.fromFiles(join(folder, 'tokenizer.json'), join(folder, 'tokenizer_config.json'));
    expect(tok.bosTokenId).toBe(298);
    const err = await errorOf(() => tok.checkSpecialTokens(200));
    expect(err.code).toBe('bad_file');
    expect(err.field).toBe('bos_token');
    expect(err.message).toContain('tokenizer_config.json: bos_token "<|endoftext|>" is token id 298 in tokenizer.json, outside the model\'s vocabulary [0, 200)');
    expect(() => tok.checkSpecialTokens(300)).not.toThrow();
    // Through loadModel: config.json's own ids are fine (absent), the tokenizer's are not.
    editJson(join(folder, 'config.json'), (o) => {
      o.vocab_size = 298;
      delete o.bos_token_id;
      delete o.eos_token_id;
    });
    const viaLoad = await errorOf(() => loadModel(folder));
    expect(viaLoad.message).toContain('tokenizer_config.json: bos_token');
  });

  it.each([['WordLevelish'], [undefined]])('refuses tokenizer.json model.type %s by name', async (type) => {
    const folder = copyOf('llama');
    editJson(join(folder, 'tokenizer.json'), (o) => {
      const model = o.model as Record<string, unknown>;
      if (type === undefined) delete model.type;
      else model.type = type;
    });
    const err = await errorOf(() => loadModel(folder));
    expect(err.code).toBe('unsupported');
    expect(err.field).toBe('model.type');
    expect(err.message).toContain(type === undefined ? 'tokenizer.json: model.type is missing' : 'tokenizer.json: model.type is "WordLevelish"');
    expect(err.message).toContain('BPE, Unigram, WordPiece');
  });
});

describe('NaN/Inf weights (finding 9: they ran and printed "NaN%")', () => {
  const prompt = [116, 257, 32];

  it('refuses an F32 NaN naming the tensor, the element and how to allow it; allowNonFinite runs it', async () => {
    const folder = copyOf('gpt2');
    // h.1.mlp.c_fc.weight is [32, 128]: flat 3·128 + 5 is element [3, 5].
    poison(folder, 'transformer.h.1.mlp.c_fc.weight', 3 * 128 + 5, NaN);
    const model = await loadModel(folder);
    try {
      const err = await errorOf(() => model.run([prompt]));
      expect(err.code).toBe('bad_file');
      expect(err.message).toContain(join(folder, 'model.safetensors'));
      expect(err.message).toContain('tensor "transformer.h.1.mlp.c_fc.weight" holds NaN at element [3, 5] (flat index 389)');
      expect(err.message).toContain('--allow-non-finite');
    } finally {
      model.dispose();
    }
    const allowed = await loadModel(folder, { allowNonFinite: true });
    try {
      const { logits } = allowed.run([prompt]);
      expect(Array.from(await logits.data()).some(Number.isNaN)).toBe(true);
      logits.dispose();
    } finally {
      allowed.dispose();
    }
  });

  it('refuses a BF16 +Inf in the widening pass', async () => {
    const folder = copyOf('llama');
    poison(folder, 'model.layers.0.mlp.down_proj.weight', 7, Infinity, 'BF16');
    const model = await loadModel(folder);
    try {
      const err = await errorOf(() => model.run([prompt]));
      expect(err.message).toContain('tensor "model.layers.0.mlp.down_proj.weight" holds +Inf at element [0, 7]');
    } finally {
      model.dispose();
    }
  });
});
