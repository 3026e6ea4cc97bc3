// config.json parsing: the numbers each family's HF modeling file would use, and errors that name
// config.json and the field.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { parseModelConfig } from '../../../src/engine/model/config';
import { ropeInverseFrequencies } from '../../../src/engine/model/layers';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const fixtureConfig = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8'));
const parse = (obj: unknown) => parseModelConfig(JSON.stringify(obj));

function errorOf(fn: () => unknown): FeaturescopeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeaturescopeError) return err;
    throw err;
  }
  throw new Error('expected a FeaturescopeError');
}

describe('parseModelConfig', () => {
  it('reads GPT-2 with HF defaults', () => {
    const c = parse(fixtureConfig('gpt2'));
    expect(c).toMatchObject({ family: 'gpt2', dModel: 32, nHeads: 4, nKvHeads: 4, headDim: 8, dMlp: 128, maxPositions: 64, activation: 'gelu_tanh', tieWordEmbeddings: true, eosTokenIds: [298] });
    expect(c.attnScale).toBeCloseTo(1 / Math.sqrt(8), 12);
    expect(parse({ model_type: 'gpt2' })).toMatchObject({ dModel: 768, nLayers: 12, nHeads: 12, dMlp: 3072, vocabSize: 50257, maxPositions: 1024 });
  });

  it('reads Llama with grouped-query heads and an untied head', () => {
    const c = parse(fixtureConfig('llama'));
    expect(c).toMatchObject({ family: 'llama', nHeads: 4, nKvHeads: 2, headDim: 8, dMlp: 64, tieWordEmbeddings: false, qkvBias: false, outBias: false, activation: 'silu' });
    expect(c.rope).toEqual({ theta: 10000, scaling: null });
    expect(c.layerWindows).toEqual([null, null]);
  });

  it('gives Qwen2 q/k/v biases but no output bias, and windows only when use_sliding_window', () => {
    const base = fixtureConfig('qwen2');
    expect(parse(base)).toMatchObject({ qkvBias: true, outBias: false, layerWindows: [null, null] });
    expect(parse({ ...base, use_sliding_window: true, sliding_window: 8, max_window_layers: 1 }).layerWindows).toEqual([null, 8]);
  });

  it('gives Mistral its sliding window on every layer', () => {
    const c = parse({ ...fixtureConfig('llama'), model_type: 'mistral', sliding_window: 16 });
    expect(c.layerWindows).toEqual([16, 16]);
    expect(parse({ ...fixtureConfig('llama'), model_type: 'mistral', sliding_window: null }).layerWindows).toEqual([null, null]);
  });

  it('reads Gemma-2: local even layers, soft-caps, query_pre_attn_scalar, √d embedding scale', () => {
    const c = parse(fixtureConfig('gemma2'));
    expect(c).toMatchObject({ family: 'gemma2', headDim: 16, nHeads: 4, layerWindows: [4, null], attnSoftcap: 5, finalSoftcap: 3, activation: 'gelu_tanh', tieWordEmbeddings: true });
    expect(c.attnScale).toBeCloseTo(24 ** -0.5, 12);
    expect(c.embedScale).toBeCloseTo(Math.sqrt(32), 6);
  });

  it('refuses an unsupported model_type, naming config.json and the supported ones', () => {
    const err = errorOf(() => parse({ model_type: 'bert' }));
    expect(err.code).toBe('unsupported');
    expect(err.message).toContain('config.json');
    expect(err.message).toContain('"bert"');
    for (const t of ['gpt2', 'llama', 'mistral', 'qwen2', 'gemma2']) expect(err.message).toContain(t);
  });

  it.each([
    [{ model_type: 'llama', num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 8, vocab_size: 10 }, 'hidden_size', 'is missing'],
    [{ ...fixtureConfig('llama'), hidden_size: '32' }, 'hidden_size', 'positive integer'],
    [{ ...fixtureConfig('llama'), num_key_value_heads: 3 }, 'num_key_value_heads', 'must divide'],
    [{ ...fixtureConfig('llama'), rms_norm_eps: -1 }, 'rms_norm_eps', '> 0'],
    [{ ...fixtureConfig('llama'), tie_word_embeddings: 'yes' }, 'tie_word_embeddings', 'true or false'],
    [{ ...fixtureConfig('gpt2'), activation_function: 'swiglu' }, 'activation_function', 'supported'],
    [{ ...fixtureConfig('gemma2'), head_dim: 2.5 }, 'head_dim', 'positive integer'],
    [{ n_embd: 8 }, 'model_type', 'missing'],
  ])('rejects a bad field as bad_file naming it (%#)', (cfg, field, rule) => {
    const err = errorOf(() => parse(cfg));
    expect(err.code).toBe('bad_file');
    expect(err.field).toBe(field);
    expect(err.message).toContain('config.json');
    expect(err.message).toContain(field);
    expect(err.message).toContain(rule);
  });

  it('rejects text that is not a JSON object', () => {
    expect(errorOf(() => parseModelConfig('{nope')).code).toBe('bad_file');
    expect(errorOf(() => parseModelConfig('[1]')).code).toBe('bad_file');
  });

  it('refuses rope scaling types it does not implement', () => {
    const err = errorOf(() => parse({ ...fixtureConfig('llama'), rope_scaling: { type: 'yarn', factor: 4 } }));
    expect(err.code).toBe('unsupported');
    expect(err.field).toBe('rope_scaling');
  });
});

describe('rotary inverse frequencies', () => {
  it('match torch, plain and with llama3 scaling (values from HF _compute_llama3_parameters in torch)', () => {
    const torchPlain = [1.0, 0.193922758102417, 0.03760603070259094, 0.00729266507551074, 0.001414213445968926, 0.00027424818836152554, 5.3182957344688475e-5, 1.0313385246263351e-5];
    const torchLlama3 = [1.0, 0.07940301299095154, 0.004700753837823868, 0.0009115831344388425, 0.00017677668074611574, 3.428102354519069e-5, 6.647869668086059e-6, 1.289173155782919e-6];
    const plain = ropeInverseFrequencies(16, 500000, null);
    const scaled = ropeInverseFrequencies(16, 500000, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 });
    torchPlain.forEach((v, i) => expect(Math.abs((plain[i] ?? 0) - v) / v).toBeLessThan(1e-6));
    torchLlama3.forEach((v, i) => expect(Math.abs((scaled[i] ?? 0) - v) / v).toBeLessThan(1e-6));
  });
});
