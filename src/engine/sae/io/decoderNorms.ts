// SAELens's rescale_acts_by_decoder_norm (topk and the BatchTopK family) multiplies each
// pre-activation by its decoder row's norm before the top-k and divides the feature by it again
// before decoding. Folding the norms into the weights does the same with unit decoder rows:
//   W_enc[:, i] · n_i,  b_enc[i] · n_i,  W_dec[i] / n_i   (SAELens's _fold_norm_topk)
// so the features and the reconstruction stay what SAELens computes. Thresholds, when present,
// already act on the rescaled pre-activations and stay as they are.
import * as tf from '@tensorflow/tfjs';
import type { SaeWeights } from '../sae';

export function foldDecoderNorms(w: SaeWeights): SaeWeights {
  return tf.tidy(() => {
    const norms = tf.norm(w.W_dec, 'euclidean', 1); // [d_sae]
    return {
      W_enc: tf.mul(w.W_enc, norms) as tf.Tensor2D,
      W_dec: tf.div(w.W_dec, tf.expandDims(norms, 1)) as tf.Tensor2D,
      b_enc: tf.mul(w.b_enc, norms) as tf.Tensor1D,
      b_dec: tf.clone(w.b_dec),
      ...(w.threshold ? { threshold: tf.clone(w.threshold) } : {}),
    };
  });
}
