// A GPT-2 being trained from scratch (the default model, sparse.train): its shape as a Hugging Face GPT-2 config.json, and its trainable parameters,
// named and shaped by the engine's own gpt2WeightShapes (HF GPT2Model keys; the `transformer.`
// prefix is added at save time). Conv1D weights are [in, out] like HF's.
import * as tf from '@tensorflow/tfjs';
import { parseModelConfig, type ModelConfig } from '../model/config';
import { gpt2WeightShapes } from '../model/gpt2';

export interface TinyModelSpec {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** The end-of-text token (BOS/EOS of config.json), or null when the tokenizer has none. */
  endOfTextId: number | null;
}

/** config.json as transformers' GPT2Config.to_json_string writes it for these sizes. */
export function hfGpt2Config(spec: TinyModelSpec): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: spec.vocabSize,
    n_positions: spec.nPositions,
    n_ctx: spec.nPositions,
    n_embd: spec.nEmbd,
    n_layer: spec.nLayer,
    n_head: spec.nHead,
    n_inner: null,
    activation_function: 'gelu_new',
    resid_pdrop: 0.0,
    embd_pdrop: 0.0,
    attn_pdrop: 0.0,
    layer_norm_epsilon: 1e-5,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: spec.endOfTextId,
    eos_token_id: spec.endOfTextId,
    torch_dtype: 'float32',
  };
}

/** The engine's reading of the config we write (with `extra` keys): training runs the forward on exactly this. */
export function engineConfig(spec: TinyModelSpec, extra: Record<string, unknown> = {}): ModelConfig {
  return parseModelConfig(JSON.stringify({ ...hfGpt2Config(spec), ...extra }));
}

export type Gpt2Params = Map<string, tf.Variable>;

/**
 * tfjs takes a seed of 0 for "no seed" (it draws one from Math.random), so a run seeded 0 would
 * start from different weights every time and a resumed run could not repeat it: 0 is mapped to
 * a seed of its own. Other seeds are passed as they are (the default model's init is unchanged).
 */
function tfjsSeed(seed: number): number {
  return seed === 0 ? 0x7fffffff : seed;
}

/**
 * GPT-2's initialisation: N(0, 0.02) weights, residual projections (c_proj) scaled by
 * 1/√(2·n_layer), zero biases, unit LayerNorm gains.
 */
export function initGpt2Params(config: ModelConfig, seed: number): Gpt2Params {
  const params: Gpt2Params = new Map();
  let s = seed;
  for (const [name, shape] of gpt2WeightShapes(config)) {
    const init = tf.tidy(() => {
      if (/ln_(1|2|f)\.weight$/.test(name)) return tf.ones(shape);
      if (name.endsWith('.bias')) return tf.zeros(shape);
      const std = name.endsWith('c_proj.weight') ? 0.02 / Math.sqrt(2 * config.nLayers) : 0.02;
      return tf.randomNormal(shape, 0, std, 'float32', tfjsSeed(s++));
    });
    params.set(name, tf.variable(init, true)); // tfjs names it uniquely: two trainings may run in one process
    init.dispose();
  }
  return params;
}

/** Weight decay applies to matrices only (not biases, LayerNorm gains or position table). */
export function isDecayed(name: string): boolean {
  return name.endsWith('.weight') && !/ln_(1|2|f)\./.test(name) && name !== 'wpe.weight';
}

export function countParams(config: ModelConfig): number {
  return gpt2WeightShapes(config).reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);
}
