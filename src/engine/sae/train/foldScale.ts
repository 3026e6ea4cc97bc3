// Folding the training-time input scale into the weights, so a saved SAE works on raw
// activations (cfg normalize_activations "none").
//
// Training saw x' = s·x. With b', W' the trained weights:
//   pre = (s·x − b'_dec) @ W'_enc + b_enc = (x − b'_dec/s) @ (s·W'_enc) + b_enc
//   x̂   = (f @ W'_dec + b'_dec) / s      = f @ (W'_dec/s) + b'_dec/s
// so W_enc = s·W'_enc, W_dec = W'_dec/s, b_dec = b'_dec/s, and b_enc and the thresholds (which
// act on pre-activations) stay as they are. The features f are unchanged.
import * as tf from '@tensorflow/tfjs';
import type { SaeWeights } from '../sae';

export function foldInputScale(trained: SaeWeights, scale: number): SaeWeights {
  return tf.tidy(() => ({
    W_enc: tf.mul(trained.W_enc, scale) as tf.Tensor2D,
    W_dec: tf.div(trained.W_dec, scale) as tf.Tensor2D,
    b_enc: tf.clone(trained.b_enc),
    b_dec: tf.div(trained.b_dec, scale) as tf.Tensor1D,
    ...(trained.threshold ? { threshold: tf.clone(trained.threshold) } : {}),
  }));
}

/** The four common weights of a recipe's parameters (by their cfg names), scale folded in. */
export function foldedWeights(params: ReadonlyMap<string, tf.Variable>, scale: number): SaeWeights {
  const p = (name: string): tf.Variable => {
    const v = params.get(name);
    if (v === undefined) throw new Error(`missing parameter ${name}`);
    return v;
  };
  return foldInputScale({ W_enc: p('W_enc') as tf.Tensor2D, W_dec: p('W_dec') as tf.Tensor2D, b_enc: p('b_enc') as tf.Tensor1D, b_dec: p('b_dec') as tf.Tensor1D }, scale);
}
