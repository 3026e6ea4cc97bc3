// The sparse code ReLU(TopK_k(pre)) in coordinate form, shared by the TopK SAE's inference, its
// AuxK selection during BatchTopK training, and the blockwise encoder (encodeTopK.ts).
import * as tf from '@tensorflow/tfjs';
import type { SparseCode } from './sparseOps';

/** Row indices 0,0,…(k times),1,1,… for a [numRows, k] top-k result flattened row-major. */
export function repeatedRows(numRows: number, k: number): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.tile(tf.expandDims(tf.range(0, numRows, 1, 'int32'), 1), [1, k]), [-1]) as tf.Tensor1D);
}

/** The sparse code ReLU(TopK_k(pre)) of [N, d_sae] pre-activations, k entries per row. */
export function topKCode(pre: tf.Tensor2D, k: number): SparseCode {
  const numRows = pre.shape[0];
  return tf.tidy(() => {
    const top = tf.topk(pre, k); // values, indices: [N, k]
    return {
      rows: repeatedRows(numRows, k),
      cols: tf.reshape(top.indices, [-1]) as tf.Tensor1D,
      vals: tf.reshape(tf.relu(top.values), [-1]) as tf.Tensor1D,
      numRows,
    };
  }) as SparseCode;
}
