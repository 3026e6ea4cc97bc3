// config.json (Hugging Face) → one normalized ModelConfig the forwards read.
//
// Each family reads the fields its HF modeling file reads, with the same defaults, so a folder
// that loads in transformers loads here with the same numbers. Anything missing or ill-typed is
// a 'bad_file' naming config.json and the field; an architecture we do not run is 'unsupported'.
//
// Every number is bounded here, before anything is sized by it: a 600-byte config.json saying
// n_layer 1e9 would otherwise allocate per-layer arrays until the process aborts (issue #19).
// The caps sit far above any released model of these families and below what the engine can run.

import { FeaturescopeError } from '../../shared/errors';
import { jsonSyntaxProblem } from '../formats/jsonProblem';

export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'mistral', 'qwen2', 'gemma2'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
/** Which forward runs the model: Mistral and Qwen2 are Llama with other defaults. */
export type ModelFamily = 'gpt2' | 'llama' | 'gemma2';
export type Activation = 'gelu_tanh' | 'gelu' | 'relu' | 'silu';

export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

export interface ModelConfig {
  modelType: ModelType;
  family: ModelFamily;
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Key/value heads (grouped-query attention); equals nHeads for GPT-2. */
  nKvHeads: number;
  headDim: number;
  /** MLP hidden width (neurons at blocks.L.mlp.hook_post). */
  dMlp: number;
  /** Learned position table size (GPT-2); null for RoPE models. */
  maxPositions: number | null;
  normEps: number;
  activation: Activation;
  tieWordEmbeddings: boolean;
  /** Biases on q/k/v projections (Qwen2, Llama attention_bias). */
  qkvBias: boolean;
  /** Bias on the attention output projection (Llama attention_bias). */
  outBias: boolean;
  mlpBias: boolean;
  rope: { theta: number; scaling: RopeScaling | null } | null;
  /** Multiplies q·k (1/√head_dim, or query_pre_attn_scalar^-½ for Gemma-2). */
  attnScale: number;
  /** Per layer: local attention window (keys with i − j ≥ window hidden), or null for global. */
  layerWindows: (number | null)[];
  attnSoftcap: number | null;
  finalSoftcap: number | null;
  /** Embeddings are multiplied by this before the first block (√d_model for Gemma-2). */
  embedScale: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** GPT-2 trained by sparse.train with AbsTopK: the fraction of each sublayer read/write kept (featurescope_sparsity.activation_topk). */
  activationTopK?: number;
}

const FILE = 'config.json';

/** Caps on config numbers (see the header comment); each rejection quotes the cap. */
export const CONFIG_LIMITS = {
  /** Llama-3 405B has 126 layers. */
  layers: 1024,
  /** Residual, MLP and attention widths (Llama-3 405B: 16,384 / 53,248). */
  width: 65_536,
  heads: 1024,
  /** Gemma's 256k vocabulary fits eight times over. */
  vocab: 2 ** 21,
  /** Learned positions, sliding windows and RoPE's original context. */
  context: 2 ** 20,
} as const;

type Json = Record<string, unknown>;

function bad(field: string, rule: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${FILE}: field "${field}" ${rule}`, field);
}

function has(c: Json, field: string): boolean {
  return c[field] !== undefined && c[field] !== null;
}

function int(c: Json, field: string, fallback?: number): number {
  const v = c[field];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(field, 'is missing');
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad(field, `must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** A positive integer no larger than `max` (`what` names the unit in the message). */
function capped(c: Json, field: string, max: number, what: string, fallback?: number): number {
  const v = int(c, field, fallback);
  if (v > max) throw bad(field, `is ${v}; the limit is ${max.toLocaleString('en-US')} ${what}`);
  return v;
}

const layers = (c: Json, field: string, fallback?: number) => capped(c, field, CONFIG_LIMITS.layers, 'layers', fallback);
const width = (c: Json, field: string, fallback?: number) => capped(c, field, CONFIG_LIMITS.width, 'units of width', fallback);
const heads = (c: Json, field: string, fallback?: number) => capped(c, field, CONFIG_LIMITS.heads, 'heads', fallback);
const vocab = (c: Json, field: string, fallback?: number) => capped(c, field, CONFIG_LIMITS.vocab, 'tokens', fallback);
const context = (c: Json, field: string, fallback?: number) => capped(c, field, CONFIG_LIMITS.context, 'positions', fallback);

/** Attention's projected width (heads × head_dim) is a width too: q/k/v are sized by it. */
function checkAttentionWidth(nHeads: number, headDim: number, headsField: string): void {
  if (nHeads * headDim > CONFIG_LIMITS.width) {
    throw bad(headsField, `× head_dim is ${nHeads} × ${headDim} = ${nHeads * headDim}; the limit is ${CONFIG_LIMITS.width.toLocaleString('en-US')} units of width`);
  }
}

function num(c: Json, field: string, fallback?: number): number {
  const v = c[field];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw bad(field, 'is missing');
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(field, `must be a finite number (got ${JSON.stringify(v)})`);
  return v;
}

function positive(c: Json, field: string, fallback?: number): number {
  const v = num(c, field, fallback);
  if (v <= 0) throw bad(field, `must be > 0 (got ${v})`);
  return v;
}

function bool(c: Json, field: string, fallback: boolean): boolean {
  const v = c[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw bad(field, `must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

function optionalPositive(c: Json, field: string): number | null {
  return has(c, field) ? positive(c, field) : null;
}

/** Special-token ids index the embedding table, so they must lie inside the vocabulary. */
function tokenId(c: Json, field: string, vocabSize: number): number | null {
  const v = c[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(field, `must be a token id (got ${JSON.stringify(v)})`);
  if (v >= vocabSize) throw bad(field, `is ${v}, outside the vocabulary [0, ${vocabSize}) of vocab_size`);
  return v;
}

function tokenIds(c: Json, field: string, vocabSize: number): number[] {
  const v = c[field];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (list.length > 1024) throw bad(field, `lists ${list.length} token ids; the limit is 1,024`);
  for (const id of list) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw bad(field, `must be a token id or a list of them (got ${JSON.stringify(id)})`);
    if (id >= vocabSize) throw bad(field, `holds ${id}, outside the vocabulary [0, ${vocabSize}) of vocab_size`);
  }
  return list as number[];
}

function activation(c: Json, field: string, fallback: string): Activation {
  const v = c[field] ?? fallback;
  switch (v) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return 'gelu_tanh';
    case 'gelu':
      return 'gelu';
    case 'relu':
      return 'relu';
    case 'silu':
    case 'swish':
      return 'silu';
    default:
      throw bad(field, `names activation ${JSON.stringify(v)}; supported: gelu_new, gelu_pytorch_tanh, gelu, relu, silu`);
  }
}

function ropeScaling(c: Json): RopeScaling | null {
  const v = c.rope_scaling;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad('rope_scaling', 'must be an object or null');
  const s = v as Json;
  const type = s.rope_type ?? s.type;
  if (type === 'default') return null;
  if (type === 'linear') return { type: 'linear', factor: positive(s, 'factor') };
  if (type === 'llama3') {
    const lowFreqFactor = positive(s, 'low_freq_factor');
    const highFreqFactor = positive(s, 'high_freq_factor');
    // The smoothing between the two divides by their difference.
    if (highFreqFactor <= lowFreqFactor) throw bad('rope_scaling', `high_freq_factor (${highFreqFactor}) must be greater than low_freq_factor (${lowFreqFactor})`);
    return {
      type: 'llama3',
      factor: positive(s, 'factor'),
      lowFreqFactor,
      highFreqFactor,
      originalMaxPositions: capped(s, 'original_max_position_embeddings', CONFIG_LIMITS.context, 'positions'),
    };
  }
  throw new FeaturescopeError(
    'unsupported',
    `${FILE}: rope_scaling type ${JSON.stringify(type)} is not supported (supported: linear, llama3)`,
    'rope_scaling',
  );
}

/** Parses the text of a model folder's config.json. */
export function parseModelConfig(text: string): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('bad_file', `${FILE}: ${jsonSyntaxProblem(text)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FeaturescopeError('bad_file', `${FILE}: must be a JSON object`);
  const c = raw as Json;
  const modelType = c.model_type;
  if (typeof modelType !== 'string') throw bad('model_type', 'is missing or not a string');
  switch (modelType) {
    case 'gpt2':
      return gpt2Config(c);
    case 'llama':
    case 'mistral':
    case 'qwen2':
      return llamaConfig(c, modelType);
    case 'gemma2':
      return gemma2Config(c);
    default:
      throw new FeaturescopeError(
        'unsupported',
        `${FILE}: model_type ${JSON.stringify(modelType)} is not supported; supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
        'model_type',
      );
  }
}

function defaultMlpWidth(dModel: number): number {
  if (4 * dModel > CONFIG_LIMITS.width) throw bad('n_inner', `is absent, so it is 4 × n_embd = ${4 * dModel}; the limit is ${CONFIG_LIMITS.width.toLocaleString('en-US')} units of width`);
  return 4 * dModel;
}

function checkHeads(nHeads: number, nKvHeads: number, headsField: string, kvField: string): void {
  if (nHeads % nKvHeads !== 0) throw bad(kvField, `(${nKvHeads}) must divide ${headsField} (${nHeads})`);
}

// modeling_gpt2.py / configuration_gpt2.py
function gpt2Config(c: Json): ModelConfig {
  const dModel = width(c, 'n_embd', 768);
  const nHeads = heads(c, 'n_head', 12);
  if (dModel % nHeads !== 0) throw bad('n_head', `(${nHeads}) must divide n_embd (${dModel})`);
  const nLayers = layers(c, 'n_layer', 12);
  const vocabSize = vocab(c, 'vocab_size', 50257);
  if (bool(c, 'scale_attn_by_inverse_layer_idx', false)) {
    throw new FeaturescopeError('unsupported', `${FILE}: scale_attn_by_inverse_layer_idx is not supported`, 'scale_attn_by_inverse_layer_idx');
  }
  const headDim = dModel / nHeads;
  return {
    modelType: 'gpt2',
    family: 'gpt2',
    vocabSize,
    dModel,
    nLayers,
    nHeads,
    nKvHeads: nHeads,
    headDim,
    // n_inner absent means 4·n_embd, which may pass the width cap: bound the product too.
    dMlp: has(c, 'n_inner') ? width(c, 'n_inner') : defaultMlpWidth(dModel),
    maxPositions: context(c, 'n_positions', 1024),
    normEps: positive(c, 'layer_norm_epsilon', 1e-5),
    activation: activation(c, 'activation_function', 'gelu_new'),
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', true),
    qkvBias: true,
    outBias: true,
    mlpBias: true,
    rope: null,
    attnScale: bool(c, 'scale_attn_weights', true) ? 1 / Math.sqrt(headDim) : 1,
    layerWindows: new Array<number | null>(nLayers).fill(null),
    attnSoftcap: null,
    finalSoftcap: null,
    embedScale: 1,
    bosTokenId: tokenId(c, 'bos_token_id', vocabSize),
    eosTokenIds: tokenIds(c, 'eos_token_id', vocabSize),
    ...activationSparsity(c),
  };
}

/** featurescope_sparsity.activation_topk of a weight-sparse GPT-2 (README "Weight-sparse models"): a fraction in (0, 1], or null/absent for none. */
function activationSparsity(c: Json): { activationTopK?: number } {
  const sparsity = c.featurescope_sparsity;
  if (sparsity === undefined || sparsity === null) return {};
  if (typeof sparsity !== 'object' || Array.isArray(sparsity)) throw bad('featurescope_sparsity', 'must be an object');
  const v = (sparsity as Json).activation_topk;
  if (v === undefined || v === null) return {};
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw bad('featurescope_sparsity.activation_topk', `must be a fraction in (0, 1] or null (got ${JSON.stringify(v)})`);
  return { activationTopK: v };
}

// modeling_llama.py, modeling_mistral.py, modeling_qwen2.py
function llamaConfig(c: Json, modelType: 'llama' | 'mistral' | 'qwen2'): ModelConfig {
  const dModel = width(c, 'hidden_size');
  const nHeads = heads(c, 'num_attention_heads');
  const nKvHeads = heads(c, 'num_key_value_heads', nHeads);
  checkHeads(nHeads, nKvHeads, 'num_attention_heads', 'num_key_value_heads');
  const headDim = has(c, 'head_dim') ? width(c, 'head_dim') : dModel / nHeads;
  if (!Number.isInteger(headDim)) throw bad('num_attention_heads', `(${nHeads}) must divide hidden_size (${dModel}) when head_dim is absent`);
  if (headDim % 2 !== 0) throw bad('head_dim', `must be even for rotary embeddings (got ${headDim})`);
  checkAttentionWidth(nHeads, headDim, 'num_attention_heads');
  const nLayers = layers(c, 'num_hidden_layers');
  const vocabSize = vocab(c, 'vocab_size');
  const attentionBias = bool(c, 'attention_bias', false);
  // Mistral: one window for every layer. Qwen2: only when use_sliding_window, and only for
  // layers at or above max_window_layers.
  let layerWindows: (number | null)[] = new Array<number | null>(nLayers).fill(null);
  if (modelType === 'mistral' && has(c, 'sliding_window')) {
    const w = context(c, 'sliding_window');
    layerWindows = layerWindows.map(() => w);
  } else if (modelType === 'qwen2' && bool(c, 'use_sliding_window', false) && has(c, 'sliding_window')) {
    const w = context(c, 'sliding_window');
    const from = layers(c, 'max_window_layers', nLayers);
    layerWindows = layerWindows.map((_, L) => (L >= from ? w : null));
  }
  return {
    modelType,
    family: 'llama',
    vocabSize,
    dModel,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    dMlp: width(c, 'intermediate_size'),
    maxPositions: null,
    normEps: positive(c, 'rms_norm_eps', 1e-6),
    activation: activation(c, 'hidden_act', 'silu'),
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', false),
    qkvBias: modelType === 'qwen2' ? true : attentionBias,
    outBias: modelType === 'qwen2' ? false : attentionBias,
    mlpBias: modelType === 'llama' ? bool(c, 'mlp_bias', false) : false,
    rope: { theta: positive(c, 'rope_theta', 10000), scaling: ropeScaling(c) },
    attnScale: 1 / Math.sqrt(headDim),
    layerWindows,
    attnSoftcap: null,
    finalSoftcap: null,
    embedScale: 1,
    bosTokenId: tokenId(c, 'bos_token_id', vocabSize),
    eosTokenIds: tokenIds(c, 'eos_token_id', vocabSize),
  };
}

// modeling_gemma2.py: even layers use the sliding window, odd layers are global.
function gemma2Config(c: Json): ModelConfig {
  const dModel = width(c, 'hidden_size');
  const nHeads = heads(c, 'num_attention_heads');
  const nKvHeads = heads(c, 'num_key_value_heads', nHeads);
  checkHeads(nHeads, nKvHeads, 'num_attention_heads', 'num_key_value_heads');
  // Gemma-2 gives head_dim explicitly: heads × head_dim need not equal hidden_size (9B: 16 × 256 vs 3584).
  const headDim = width(c, 'head_dim', 256);
  if (headDim % 2 !== 0) throw bad('head_dim', `must be even for rotary embeddings (got ${headDim})`);
  checkAttentionWidth(nHeads, headDim, 'num_attention_heads');
  const nLayers = layers(c, 'num_hidden_layers');
  const vocabSize = vocab(c, 'vocab_size');
  const windowField = has(c, 'sliding_window') ? 'sliding_window' : 'sliding_window_size';
  const window = context(c, windowField, 4096);
  const activationField = has(c, 'hidden_activation') ? 'hidden_activation' : 'hidden_act';
  return {
    modelType: 'gemma2',
    family: 'gemma2',
    vocabSize,
    dModel,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    dMlp: width(c, 'intermediate_size'),
    maxPositions: null,
    normEps: positive(c, 'rms_norm_eps', 1e-6),
    activation: activation(c, activationField, 'gelu_pytorch_tanh'),
    tieWordEmbeddings: bool(c, 'tie_word_embeddings', true),
    qkvBias: bool(c, 'attention_bias', false),
    outBias: bool(c, 'attention_bias', false),
    mlpBias: false,
    rope: { theta: positive(c, 'rope_theta', 10000), scaling: null },
    attnScale: positive(c, 'query_pre_attn_scalar', 256) ** -0.5,
    layerWindows: Array.from({ length: nLayers }, (_, L) => (L % 2 === 0 ? window : null)),
    attnSoftcap: optionalPositive(c, 'attn_logit_softcapping'),
    finalSoftcap: optionalPositive(c, 'final_logit_softcapping'),
    embedScale: Math.fround(Math.sqrt(dModel)),
    bosTokenId: tokenId(c, 'bos_token_id', vocabSize),
    eosTokenIds: tokenIds(c, 'eos_token_id', vocabSize),
  };
}
