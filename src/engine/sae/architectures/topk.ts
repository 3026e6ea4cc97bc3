// TopK SAE (OpenAI): f = ReLU(TopK_k(pre)); every other latent is 0.
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import { Sae, type SaeConfig, type SaeWeights } from '../sae';
import type { SparseCode } from '../sparse/sparseOps';

export class TopKSae extends Sae {
  readonly k: number;

  constructor(cfg: SaeConfig, weights: SaeWeights) {
    super(cfg, weights);
    const k = cfg.k;
    if (k === undefined || !Number.isInteger(k) || k < 1 || k > cfg.d_sae) {
      throw new FeaturescopeError('bad_file', `topk SAE needs an integer k in [1, d_sae=${cfg.d_sae}], got ${String(k)}`, 'k');
    }
    this.k = k;
  }

  protected activate(pre: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const code = topKCode(pre, this.k);
      const n = pre.shape[0];
      return tf.scatterND(tf.stack([code.rows, code.cols], 1), code.vals, [n, this.cfg.d_sae]) as tf.Tensor2D;
    });
  }
}

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
