// Weight initialisation shared by the recipes: random decoder directions of a given norm,
// W_enc = W_decᵀ (Anthropic April 2024 and OpenAI topk both start tied), and the geometric
// median of a sample for b_dec (OpenAI topk).
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../random';
import { normalizeRows, projectOutRows } from './updateKernels';

/** W_dec [d_sae, d_in] with rows of L2 norm `rowNorm` in uniformly random directions. */
export function randomDecoder(rng: Rng, dSae: number, dIn: number, rowNorm: number): Float32Array {
  const w = rng.normals(dSae * dIn);
  for (let r = 0; r < dSae; r++) {
    let ss = 0;
    for (let j = 0; j < dIn; j++) ss += w[r * dIn + j]! ** 2;
    const f = rowNorm / Math.sqrt(ss);
    for (let j = 0; j < dIn; j++) w[r * dIn + j]! *= f;
  }
  return w;
}

/** The standard four parameters, tied at start, biases zero. */
export function tiedParams(rng: Rng, dIn: number, dSae: number, rowNorm: number): Map<string, tf.Variable> {
  // Variables keep their own reference to the data, so tidy may free the temporaries.
  const params = new Map<string, tf.Variable>();
  tf.tidy(() => {
    const W_dec = tf.tensor2d(randomDecoder(rng, dSae, dIn, rowNorm), [dSae, dIn]); // [d_sae, d_in]
    params.set('W_enc', tf.variable(tf.transpose(W_dec), true)); // [d_in, d_sae]
    params.set('W_dec', tf.variable(W_dec, true));
    params.set('b_enc', tf.variable(tf.zeros([dSae]), true));
    params.set('b_dec', tf.variable(tf.zeros([dIn]), true));
  });
  return params;
}

/** Geometric median of the rows of x [N, d] by Weiszfeld's iteration. */
export function geometricMedian(x: tf.Tensor2D, iterations = 50): tf.Tensor1D {
  return tf.tidy(() => {
    let y = tf.mean(x, 0) as tf.Tensor1D; // [d]
    for (let i = 0; i < iterations; i++) {
      const next = tf.tidy(() => {
        const dist = tf.maximum(tf.norm(tf.sub(x, y), 'euclidean', 1), 1e-8); // [N]
        const w = tf.reciprocal(dist); // [N]
        return tf.div(tf.sum(tf.mul(x, tf.expandDims(w, 1)), 0), tf.sum(w)) as tf.Tensor1D; // [d]
      });
      y.dispose();
      y = next;
    }
    return y;
  });
}

/** Removes from each row of the gradient its component along the decoder row. */
export function removeParallelComponent(grad: tf.Tensor2D, W_dec: tf.Tensor2D): tf.Tensor2D {
  return projectOutRows(grad, W_dec);
}

/** Rescales each decoder row to unit norm in place. */
export function normaliseDecoderRows(W_dec: tf.Variable): void {
  const unit = normalizeRows(W_dec as tf.Variable<tf.Rank.R2>);
  W_dec.assign(unit);
  unit.dispose();
}
