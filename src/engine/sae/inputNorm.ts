// The run-time input normalisations of SAELens (sae.py `_setup_activation_normalization`): each
// input row is rescaled before encoding and the reconstruction is mapped back with the same row's
// statistics, so decoding needs the input the features came from.
//   constant_norm_rescale: x' = x · √d_in / ‖x‖;                   x̂ = x̂' · ‖x‖ / √d_in
//   layer_norm:            x' = (x − μ) / (σ + 1e-5), σ unbiased;  x̂ = x̂' · σ + μ
// `expected_average_only_in` is not here: its scale is one number for the whole SAE, folded into
// the weights when the SAE is loaded (io/saelensCfg.ts), as SAELens does for pretrained SAEs.
import * as tf from '@tensorflow/tfjs';

export const RUNTIME_NORMS = ['none', 'constant_norm_rescale', 'layer_norm'] as const;
export type RuntimeNorm = (typeof RUNTIME_NORMS)[number];

const LAYER_NORM_EPS = 1e-5;

/** Per-row maps of one batch of inputs [N, d_in]: x' = (x − shift)·inScale, x̂ = x̂'·outScale + shift. */
interface RowMaps {
  shift: tf.Tensor; // [N, 1] or scalar 0
  inScale: tf.Tensor; // [N, 1]
  outScale: tf.Tensor; // [N, 1]
}

function rowMaps(mode: Exclude<RuntimeNorm, 'none'>, x: tf.Tensor2D): RowMaps {
  const d = x.shape[1];
  if (mode === 'constant_norm_rescale') {
    const coeff = tf.div(Math.sqrt(d), tf.norm(x, 'euclidean', 1, true)); // [N, 1]
    return { shift: tf.scalar(0), inScale: coeff, outScale: tf.reciprocal(coeff) };
  }
  const mu = tf.mean(x, 1, true); // [N, 1]
  const centred = tf.sub(x, mu);
  const std = tf.sqrt(tf.div(tf.sum(tf.square(centred), 1, true), d - 1)); // torch.std: unbiased
  return { shift: mu, inScale: tf.reciprocal(tf.add(std, LAYER_NORM_EPS)), outScale: std };
}

/** The rows as the SAE's weights see them. */
export function normalizeIn(mode: RuntimeNorm, x: tf.Tensor2D): tf.Tensor2D {
  if (mode === 'none') return x;
  return tf.tidy(() => {
    const m = rowMaps(mode, x);
    return tf.mul(tf.sub(x, m.shift), m.inScale) as tf.Tensor2D;
  });
}

/** A reconstruction of the normalised rows mapped back to the units of `input` (the same rows). */
export function normalizeOut(mode: RuntimeNorm, y: tf.Tensor2D, input: tf.Tensor2D): tf.Tensor2D {
  if (mode === 'none') return y;
  return tf.tidy(() => {
    const m = rowMaps(mode, input);
    return tf.add(tf.mul(y, m.outScale), m.shift) as tf.Tensor2D;
  });
}
