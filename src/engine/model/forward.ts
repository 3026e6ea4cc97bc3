// The one forward every family runs (HookedTransformer.forward): embeddings, the residual blocks,
// the final norm and the unembedding, reading the checkpoint modules its Architecture names.

import * as tf from '@tensorflow/tfjs';
import type { Architecture } from './architecture';
import { normalize, transformerBlock } from './blocks';
import type { ModelConfig } from './config';
import type { KvCache } from './kvcache';
import { type RopeTables, softcap } from './layers';

export interface ForwardStep {
  config: ModelConfig;
  /** Checkpoint tensor by its Hugging Face name (loaded on first use, kept by the model). */
  weight: (name: string) => tf.Tensor;
  /**
   * A 2-D checkpoint tensor transposed ([out, in] → [in, out]), made once at first use and kept
   * instead of the stored layout: wasm's matMul with transposeB runs about 10× slower.
   */
  weightT: (name: string) => tf.Tensor;
  /** Rows of the embedding table `name` for this step's ids, [batch, pos, d_model], read from the file. */
  embedRows: (name: string) => tf.Tensor3D;
  /** x @ `name`ᵀ for a [d_vocab, d_model] table, in vocabulary chunks: logits [batch, pos, d_vocab]. */
  unembed: (name: string, x: tf.Tensor3D) => tf.Tensor3D;
  /**
   * Whether a linear layer over `rows` rows reads its weight as stored ([out, in], matMul with
   * transposeB) instead of weightT: for a streamed layer at few rows (a generation step), measured
   * on wasm 3-5× faster than transposing a weight that is used once (issue #15).
   */
  storedLayout: (rows: number) => boolean;
  /** Layer done: a streamed layer's weights leave the backend. */
  endLayer: () => void;
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
export function hookNamesFor(config: ModelConfig, arch: Architecture): string[] {
  const names = ['hook_embed'];
  if (arch.posEmbed !== null) names.push('hook_pos_embed');
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

/**
 * Logits [batch, pos, d_vocab] (pos = 1 when lastOnly). `rope` holds the rotary tables of this
 * step's positions, or null for a family with a learned position table.
 */
export function transformerForward(arch: Architecture, step: ForwardStep, rope: RopeTables | null): tf.Tensor3D {
  const { config: c, hook } = step;
  const [batch, pos] = step.ids.shape;

  // hook_embed is what enters the residual stream: Gemma-2's embedding is already scaled by √d_model.
  const tokens = step.embedRows(`${arch.embed}.weight`); // [batch, pos, d_model]
  let x = hook('hook_embed', c.embedScale === 1 ? tokens : (tokens.mul(c.embedScale) as tf.Tensor3D));
  if (arch.posEmbed !== null) {
    const positions = tf.tensor2d(step.positions.flat(), [batch, pos], 'int32'); // < n_positions, checked by the caller
    const posEmbed = hook('hook_pos_embed', tf.gather(step.weight(`${arch.posEmbed}.weight`), positions) as tf.Tensor3D); // [batch, pos, d_model]
    x = x.add(posEmbed) as tf.Tensor3D;
  }

  // Each block in its own scope: its intermediates (the MLP's [batch·pos, d_mlp] and the
  // attention's [batch, head, pos, pos] tensors) are freed as soon as it returns, so a forward
  // holds one block's worth at a time instead of every block's until the end. (Tensors the
  // gradient tape needs are kept by the tape; hooks' captures are kept clones; weights are kept.)
  for (let L = 0; L < c.nLayers; L++) {
    const input = x;
    x = tf.tidy(() => transformerBlock(step, arch, L, input, rope)); // [batch, pos, d_model]
    // A streamed layer's weights (kept, so outside the scope) go once its block is done.
    step.endLayer();
  }

  const normalized = hook('ln_final.hook_normalized', normalize(step, arch, arch.finalNorm, x));
  const head = `${c.tieWordEmbeddings ? arch.embed : arch.lmHead}.weight`; // [d_vocab, d_model]
  const logits = step.unembed(head, unembedRows(normalized, step.lastOnly)); // [batch, pos, d_vocab]
  return softcap(logits, c.finalSoftcap);
}

/** The final residual rows to unembed: all positions, or only the last one when generating. */
export function unembedRows(x: tf.Tensor3D, lastOnly: boolean): tf.Tensor3D {
  if (!lastOnly) return x;
  const [batch, pos, d] = x.shape;
  return x.slice([0, pos - 1, 0], [batch, 1, d]);
}
