// The TopK encoder without a [B, d_sae] pre-activation tensor: x @ W_enc in blocks of rows, each
// block reduced at once to its top k (and, for AuxK, its top k_aux among dead latents) by
// topKRows, which also adds b_enc. Peak memory is one block (≈ 32 MB) instead of B·d_sae floats
// (256 MB at B 4096, d_sae 16384), and the bias add and the dense selection pass go away.
// Every backend runs this same code; only topKRows has a wasm kernel.
import * as tf from '@tensorflow/tfjs';
import { repeatedRows } from './topkCode';
import type { SparseCode } from './sparseOps';
import { topKRows } from './topkRows';

/** Floats of pre-activations computed per block. */
const BLOCK_FLOATS = 1 << 23;

export interface TopKEncoding {
  code: SparseCode; // ReLU(TopK_k(pre)), k entries per row
  /** ReLU of the top kAux pre-activations among dead latents, when asked for. */
  auxCode?: SparseCode;
}

export interface AuxSelection {
  /** [d_sae] 1 for dead latents, 0 otherwise; at least `k` must be dead. */
  deadMask: tf.Tensor1D;
  k: number;
}

/** pre = xc @ W_enc + b_enc (xc: [B, d_in], W_enc: [d_in, d_sae]) reduced to sparse top-k codes. */
export function encodeTopK(xc: tf.Tensor2D, W_enc: tf.Tensor2D, b_enc: tf.Tensor1D, k: number, aux?: AuxSelection): TopKEncoding {
  const [B] = xc.shape;
  const dSae = W_enc.shape[1];
  const rowsPerBlock = Math.max(1, Math.min(B, Math.floor(BLOCK_FLOATS / dSae)));
  return tf.tidy(() => {
    const vals: tf.Tensor[] = [], cols: tf.Tensor[] = [], auxVals: tf.Tensor[] = [], auxCols: tf.Tensor[] = [];
    for (let r0 = 0; r0 < B; r0 += rowsPerBlock) {
      const rows = Math.min(rowsPerBlock, B - r0);
      // The block's tensors move to the outer tidy, which frees them after the concat.
      const block = tf.tidy(() => {
        const xb = rows === B ? xc : tf.slice(xc, [r0, 0], [rows, -1]); // [rows, d_in]
        // No fused bias: tfjs-wasm's fused matmul is slower than its plain one, and topKRows adds b_enc anyway.
        const pre = tf.matMul(xb, W_enc) as tf.Tensor2D; // [rows, d_sae], without b_enc
        const top = topKRows(pre, b_enc, k);
        const auxTop = aux === undefined ? undefined : topKRows(pre, b_enc, aux.k, aux.deadMask);
        return { top, auxTop } as unknown as tf.TensorContainer;
      }) as unknown as { top: { values: tf.Tensor; indices: tf.Tensor }; auxTop?: { values: tf.Tensor; indices: tf.Tensor } };
      vals.push(block.top.values);
      cols.push(block.top.indices);
      if (block.auxTop !== undefined) {
        auxVals.push(block.auxTop.values);
        auxCols.push(block.auxTop.indices);
      }
    }
    const codeOf = (v: tf.Tensor[], c: tf.Tensor[], width: number): SparseCode => ({
      rows: repeatedRows(B, width),
      cols: tf.reshape(c.length === 1 ? c[0]! : tf.concat(c, 0), [-1]) as tf.Tensor1D,
      vals: tf.relu(tf.reshape(v.length === 1 ? v[0]! : tf.concat(v, 0), [-1])) as tf.Tensor1D,
      numRows: B,
    });
    const out: TopKEncoding = { code: codeOf(vals, cols, k) };
    if (aux !== undefined) out.auxCode = codeOf(auxVals, auxCols, aux.k);
    return out as unknown as tf.TensorContainer;
  }) as unknown as TopKEncoding;
}
