// Next-token loss of a GPT-2 being trained (the default model, sparse.train), computed through the
// engine's own GPT-2 forward (src/engine/model/gpt2.ts), so trained weights run on the code that trains them.
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config';
import { gpt2Forward } from '../model/gpt2';
import { MASKED } from '../model/masking';

const maskCache = new Map<number, tf.Tensor4D>();

/** Causal additive mask [1, 1, pos, pos], shared by every row of a full (unpadded) batch. */
function causalMask(pos: number): tf.Tensor4D {
  let mask = maskCache.get(pos);
  if (mask === undefined) {
    const data = new Float32Array(pos * pos);
    for (let i = 0; i < pos; i++) for (let j = i + 1; j < pos; j++) data[i * pos + j] = MASKED;
    mask = tf.keep(tf.tensor4d(data, [1, 1, pos, pos]));
    maskCache.set(pos, mask);
  }
  return mask;
}

/** Passes an activation through a hook point (TransformerLens names), inside the tape. */
export type TrainingHook = <T extends tf.Tensor>(name: string, act: T) => T;
const passThrough: TrainingHook = (_name, act) => act;

/** Logits [batch, pos, vocab] for unpadded rows of token ids. */
export function forwardLogits(weights: Map<string, tf.Tensor>, config: ModelConfig, ids: tf.Tensor2D, hook: TrainingHook = passThrough): tf.Tensor3D {
  const [batch, pos] = ids.shape;
  const lookup = (name: string): tf.Tensor => {
    const w = weights.get(name);
    if (w === undefined) throw new Error(`missing weight ${name}`);
    return w;
  };
  const row = Array.from({ length: pos }, (_, i) => i);
  return gpt2Forward({
    config,
    weight: lookup,
    // Transposed inside the tape each step, so gradients flow back to the trained [out, in] table.
    weightT: (name) => tf.transpose(lookup(name)),
    // Training differentiates through the tables, so lookups and the head use them whole.
    embedRows: (name) => tf.gather(lookup(name), ids) as tf.Tensor3D,
    unembed: (name, x) => tf.matMul(x.reshape([-1, config.dModel]), lookup(name), false, true).reshape([batch, x.shape[1], -1]) as tf.Tensor3D,
    endLayer: () => undefined,
    storedLayout: () => false,
    ids,
    positions: Array.from({ length: batch }, () => row),
    masks: new Map([[null, causalMask(pos)]]),
    cache: null,
    hook,
    lastOnly: false,
  });
}

/**
 * Mean cross-entropy (nats/token) of predicting windows[:, 1:] from windows[:, :-1].
 * windows: [batch, pos + 1] int32.
 */
export function lmLoss(weights: Map<string, tf.Tensor>, config: ModelConfig, windows: tf.Tensor2D, hook: TrainingHook = passThrough): tf.Scalar {
  const [batch, span] = windows.shape;
  const pos = span - 1;
  const inputs = tf.slice(windows, [0, 0], [batch, pos]) as tf.Tensor2D; // [batch, pos]
  const targets = tf.reshape(tf.slice(windows, [0, 1], [batch, pos]), [-1]) as tf.Tensor1D; // [batch·pos]
  const logits = tf.reshape(forwardLogits(weights, config, inputs, hook), [batch * pos, config.vocabSize]) as tf.Tensor2D; // [batch·pos, d_vocab]
  return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, config.vocabSize), logits) as tf.Scalar;
}
