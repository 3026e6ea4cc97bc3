// AbsTopK activation sparsity (Gao et al. 2025): of each position's vector keep the k entries of
// largest magnitude, zero the rest. Applied to the residual reads and writes of every sublayer of
// a model whose config.json declares featurescope_sparsity.activation_topk (model/blocks.ts), in
// training and at inference alike. The gradient passes through the kept entries only.
import * as tf from '@tensorflow/tfjs';

/** Entries kept per vector of width `width` at fraction `fraction` (at least one). */
export function absTopKCount(fraction: number, width: number): number {
  return Math.min(width, Math.max(1, Math.round(fraction * width)));
}

/**
 * x [..., width] with all but the k largest-|x| entries of each last-axis vector zeroed. Entries
 * tied with the k-th magnitude are all kept (ties of real activations are measure-zero).
 */
export function absTopK<T extends tf.Tensor>(x: T, k: number): T {
  const width = x.shape[x.rank - 1]!;
  if (k >= width) return x;
  const f = tf.customGrad((input, save) => {
    const a = input as tf.Tensor;
    const mask = tf.tidy(() => {
      const magnitude = tf.abs(a);
      const begin = new Array<number>(a.rank).fill(0);
      const size = new Array<number>(a.rank).fill(-1);
      begin[a.rank - 1] = k - 1;
      size[a.rank - 1] = 1;
      const kth = tf.slice(tf.topk(magnitude, k).values, begin, size); // [..., 1]: the k-th largest |x|
      return tf.cast(tf.greaterEqual(magnitude, kth), a.dtype);
    });
    (save as tf.GradSaveFunc)([mask]);
    return { value: tf.mul(a, mask), gradFunc: (dy, saved) => [tf.mul(dy, saved[0]!)] };
  });
  return f(x) as T;
}
