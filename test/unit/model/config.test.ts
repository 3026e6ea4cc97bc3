// config.json parsing: the numbers each family's HF modeling file would use, and errors that name
// config.json and the field.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { parseModelConfig } from '../../../src/engine/model/config';
import { ropeInverseFrequencies } from '../../../src/engine/model/layers';
import { errorOf } from '../error-of';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const fixtureConfig = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8'));
const parse = (obj: unknown) => parseModelConfig(JSON.stringify(obj));

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

// Issue #19 finding 6: a 600-byte config.json with n_layer 1e9 allocated per-layer arrays until the
// engine aborted; 2^32 gave "Invalid array length". Every number is now capped at parse time.
describe('parseModelConfig bounds every number before anything is sized by it', () => {
  const gpt2 = fixtureConfig('gpt2');
  const llama = fixtureConfig('llama');
  const gemma2 = fixtureConfig('gemma2');
  const qwen2 = fixtureConfig('qwen2');

  it.each([
    ['gpt2 n_layer 1e9', { ...gpt2, n_layer: 1e9 }, 'n_layer', 'is 1000000000; the limit is 1,024 layers'],
    ['gpt2 n_layer 2^32', { ...gpt2, n_layer: 2 ** 32 }, 'n_layer', 'is 4294967296; the limit is 1,024 layers'],
    ['gpt2 n_embd', { ...gpt2, n_embd: 2 ** 20, n_head: 1 }, 'n_embd', 'the limit is 65,536 units of width'],
    ['gpt2 n_head', { ...gpt2, n_embd: 4096, n_head: 4096 }, 'n_head', 'the limit is 1,024 heads'],
    ['gpt2 n_inner', { ...gpt2, n_inner: 1e7 }, 'n_inner', 'the limit is 65,536 units of width'],
    ['gpt2 default n_inner = 4·n_embd', { ...gpt2, n_embd: 32768, n_head: 8 }, 'n_inner', '4 × n_embd = 131072'],
    ['gpt2 vocab_size', { ...gpt2, vocab_size: 2 ** 22 }, 'vocab_size', 'the limit is 2,097,152 tokens'],
    ['gpt2 n_positions', { ...gpt2, n_positions: 2 ** 21 }, 'n_positions', 'the limit is 1,048,576 positions'],
    ['gpt2 bos_token_id', { ...gpt2, bos_token_id: 300 }, 'bos_token_id', 'is 300, outside the vocabulary [0, 300)'],
    ['gpt2 eos_token_id list', { ...gpt2, eos_token_id: [1, 5000] }, 'eos_token_id', 'holds 5000, outside the vocabulary [0, 300)'],
    ['llama num_hidden_layers', { ...llama, num_hidden_layers: 1e9 }, 'num_hidden_layers', 'the limit is 1,024 layers'],
    ['llama hidden_size', { ...llama, hidden_size: 1e6 }, 'hidden_size', 'the limit is 65,536 units of width'],
    ['llama intermediate_size', { ...llama, intermediate_size: 2 ** 31 }, 'intermediate_size', 'the limit is 65,536 units of width'],
    ['llama num_attention_heads', { ...llama, num_attention_heads: 2 ** 20, num_key_value_heads: 1 }, 'num_attention_heads', 'the limit is 1,024 heads'],
    ['llama num_key_value_heads', { ...llama, num_key_value_heads: 2 ** 20 }, 'num_key_value_heads', 'the limit is 1,024 heads'],
    ['llama heads × head_dim', { ...llama, num_attention_heads: 1024, num_key_value_heads: 1, head_dim: 1024 }, 'num_attention_heads', '1024 × 1024 = 1048576'],
    ['llama vocab_size', { ...llama, vocab_size: 1e9 }, 'vocab_size', 'the limit is 2,097,152 tokens'],
    ['llama bos_token_id', { ...llama, bos_token_id: 1e6 }, 'bos_token_id', 'outside the vocabulary [0, 300)'],
    ['mistral sliding_window', { ...llama, model_type: 'mistral', sliding_window: 2 ** 30 }, 'sliding_window', 'the limit is 1,048,576 positions'],
    ['qwen2 max_window_layers', { ...qwen2, use_sliding_window: true, sliding_window: 8, max_window_layers: 1e9 }, 'max_window_layers', 'the limit is 1,024 layers'],
    ['llama3 rope original_max_position_embeddings', { ...llama, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 2 ** 40 } }, 'original_max_position_embeddings', 'the limit is 1,048,576 positions'],
    ['llama3 rope with equal frequency factors (divides by their difference)', { ...llama, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 'rope_scaling', 'must be greater than low_freq_factor'],
    ['gemma2 num_hidden_layers', { ...gemma2, num_hidden_layers: 2 ** 32 }, 'num_hidden_layers', 'the limit is 1,024 layers'],
    ['gemma2 head_dim', { ...gemma2, head_dim: 2 ** 20 }, 'head_dim', 'the limit is 65,536 units of width'],
    ['gemma2 heads × head_dim', { ...gemma2, num_attention_heads: 512, num_key_value_heads: 1, head_dim: 256 }, 'num_attention_heads', '512 × 256 = 131072'],
    ['gemma2 sliding_window', { ...gemma2, sliding_window: 2 ** 21 }, 'sliding_window', 'the limit is 1,048,576 positions'],
    ['gemma2 eos_token_id', { ...gemma2, eos_token_id: 300 }, 'eos_token_id', 'holds 300, outside the vocabulary [0, 300)'],
  ])('%s: bad_file naming config.json, the field, the value and the rule', (_label, cfg, field, rule) => {
    const err = errorOf(() => parse(cfg));
    expect(err.code).toBe('bad_file');
    expect(err.field).toBe(field);
    expect(err.message).toContain(`config.json: field "${field}"`);
    expect(err.message).toContain(rule);
  });

  it('accepts the largest released shapes of each family (caps are not too tight)', () => {
    // Llama-3.1-405B and Gemma-2-27B config.json numbers.
    expect(() => parse({ model_type: 'llama', hidden_size: 16384, intermediate_size: 53248, num_attention_heads: 128, num_key_value_heads: 8, num_hidden_layers: 126, vocab_size: 128256, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009], rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } })).not.toThrow();
    expect(() => parse({ model_type: 'gemma2', hidden_size: 4608, intermediate_size: 36864, num_attention_heads: 32, num_key_value_heads: 16, head_dim: 128, num_hidden_layers: 46, vocab_size: 256000, sliding_window: 4096, query_pre_attn_scalar: 144, bos_token_id: 2, eos_token_id: 1 })).not.toThrow();
    expect(parse({ ...gpt2, n_layer: 1024 }).layerWindows).toHaveLength(1024);
  });
});
