// What every family's forward receives for one step, and the helpers they share to read weights
// and to expose hook points.

import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './config';
import type { KvCache } from './kvcache';

export interface ForwardStep {
  config: ModelConfig;
  /** Checkpoint tensor by its Hugging Face name (loaded on first use, kept by the model). */
  weight: (name: string) => tf.Tensor;
  /**
   * A 2-D checkpoint tensor transposed ([out, in] → [in, out]), made once at first use and kept
   * instead of the stored layout: wasm's matMul with transposeB runs about 10× slower.
   */
  weightT: (name: string) => tf.Tensor;
  ids: tf.Tensor2D; // [batch, pos] int32
  /** Position id of every query token (real tokens counted, padding skipped). */
  positions: number[][];
  /** Additive attention masks [batch, 1, q_pos, k_pos] by the layer's window (null = global). */
  masks: Map<number | null, tf.Tensor4D>;
  /** Keys/values of earlier steps; the forward appends this step's. Null when not generating. */
  cache: KvCache | null;
  /** Passes an activation through the hook point `name` (interventions, capture). */
  hook: <T extends tf.Tensor>(name: string, act: T) => T;
  /** Unembed only the last position (generation): logits are then [batch, 1, d_vocab]. */
  lastOnly: boolean;
}

/** TransformerLens hook names, in forward order. */
export function hookNamesFor(config: ModelConfig): string[] {
  const names = ['hook_embed'];
  if (config.family === 'gpt2') names.push('hook_pos_embed');
  for (let L = 0; L < config.nLayers; L++) {
    names.push(
      `blocks.${L}.hook_resid_pre`,
      `blocks.${L}.hook_attn_out`,
      `blocks.${L}.hook_resid_mid`,
      `blocks.${L}.mlp.hook_post`,
      `blocks.${L}.hook_mlp_out`,
      `blocks.${L}.hook_resid_post`,
    );
  }
  names.push('ln_final.hook_normalized');
  return names;
}

export function maskFor(step: ForwardStep, window: number | null): tf.Tensor4D {
  const m = step.masks.get(window);
  if (m === undefined) throw new Error(`internal: no attention mask built for window ${String(window)}`);
  return m;
}

/**
 * Token embeddings [batch, pos, d_model]. A table tied to the unembedding is kept only as its
 * transpose [d_model, d_vocab] (the head's layout), so lookups gather its columns.
 */
export function embedTokens(step: ForwardStep, name: string, tiedToHead: boolean): tf.Tensor3D {
  const [batch, pos] = step.ids.shape;
  if (!tiedToHead) return tf.gather(step.weight(name), step.ids) as tf.Tensor3D;
  const columns = tf.gather(step.weightT(name), step.ids.reshape([batch * pos]), 1); // [d_model, batch*pos]
  return columns.transpose().reshape([batch, pos, -1]);
}

/** The final residual rows to unembed: all positions, or only the last one when generating. */
export function unembedRows(x: tf.Tensor3D, lastOnly: boolean): tf.Tensor3D {
  if (!lastOnly) return x;
  const [batch, pos, d] = x.shape;
  return x.slice([0, pos - 1, 0], [batch, 1, d]);
}
