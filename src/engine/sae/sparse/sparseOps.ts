// Sparse products for SAEs whose codes have few active latents per token (topk, batchtopk).
//
// A sparse code is kept in coordinate form: entry m says "token rows[m] has latent cols[m] with
// value vals[m]". With k active latents per token the decoder, its gradient and the encoder's
// weight gradient cost O(M·d) with M = B·k, instead of O(B·d_sae·d) as dense [B, d_sae] products.
//
// Each op has two implementations that must agree (test/unit/sae/sparseOps.test.ts checks):
// - a kernel registered for the wasm backend, plain JS loops over the backend's heap memory.
//   tfjs-wasm has no UnsortedSegmentSum and its gather copies [M, d] slabs slowly
//   (measured: 3.3 s to gather 131072 rows of 512 floats), so a loop that reads each row
//   in place is far cheaper;
// - a fallback made of ordinary tfjs ops (gather + scatterND, which sums duplicate indices),
//   used on any backend without the kernel (tfjs-node, tfjs-node-gpu, cpu).

import * as tf from '@tensorflow/tfjs';
import { setKernelImpl, useKernel as useKernelIfRegistered } from './kernelChoice';
import { registerWasmSparseKernels, SPARSE_KERNEL_NAMES } from './wasmKernels';

export interface SparseCode {
  /** Token index of each entry, int32 [M]. */
  rows: tf.Tensor1D;
  /** Latent index of each entry, int32 [M]. */
  cols: tf.Tensor1D;
  /** Value of each entry, float32 [M]. */
  vals: tf.Tensor1D;
  /** Number of tokens (rows of the dense code). */
  numRows: number;
}

/** Tests and benchmarks pick an implementation of every SAE kernel; the engine leaves it on 'auto'. */
export const setSparseImpl = setKernelImpl;

function useKernel(name: string): boolean {
  return useKernelIfRegistered(name, registerWasmSparseKernels);
}

/** out[rows[m]] += vals[m] · W[cols[m]]  →  [numRows, d]. The decoder forward x̂ = f @ W_dec. */
export function sparseDecode(code: SparseCode, W: tf.Tensor2D): tf.Tensor2D {
  if (useKernel(SPARSE_KERNEL_NAMES.decode)) {
    return tf.engine().runKernel(SPARSE_KERNEL_NAMES.decode, { rows: code.rows, cols: code.cols, vals: code.vals, W }, {
      numRows: code.numRows,
    }) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const picked = tf.gather(W, code.cols); // [M, d]
    const weighted = tf.mul(picked, tf.expandDims(code.vals, 1)); // [M, d]
    return tf.scatterND(tf.expandDims(code.rows, 1), weighted, [code.numRows, W.shape[1]]) as tf.Tensor2D;
  });
}

/** out[m] = W[cols[m]] · V[rows[m]]  →  [M]. Gradient of the loss wrt each active latent value. */
export function sparseRowDots(code: SparseCode, W: tf.Tensor2D, V: tf.Tensor2D): tf.Tensor1D {
  if (useKernel(SPARSE_KERNEL_NAMES.rowDots)) {
    return tf.engine().runKernel(SPARSE_KERNEL_NAMES.rowDots, { rows: code.rows, cols: code.cols, W, V }, {}) as tf.Tensor1D;
  }
  return tf.tidy(() => {
    const w = tf.gather(W, code.cols); // [M, d]
    const v = tf.gather(V, code.rows); // [M, d]
    return tf.sum(tf.mul(w, v), 1) as tf.Tensor1D;
  });
}

/**
 * out[cols[m]] += vals[m] · V[rows[m]]  →  [numCols, d]: a segment sum of outer products.
 * dW_dec = fᵀ · dx̂ (vals = f, V = dx̂) and dW_encᵀ = dpreᵀ · x (vals = dpre, V = x).
 */
export function sparseScatterOuter(code: SparseCode, V: tf.Tensor2D, numCols: number): tf.Tensor2D {
  if (useKernel(SPARSE_KERNEL_NAMES.scatterOuter)) {
    return tf.engine().runKernel(SPARSE_KERNEL_NAMES.scatterOuter, { rows: code.rows, cols: code.cols, vals: code.vals, V }, {
      numCols,
    }) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const v = tf.gather(V, code.rows); // [M, d]
    const weighted = tf.mul(v, tf.expandDims(code.vals, 1)); // [M, d]
    return tf.scatterND(tf.expandDims(code.cols, 1), weighted, [numCols, V.shape[1]]) as tf.Tensor2D;
  });
}

/** out[cols[m]] += vals[m]  →  [numCols]. Bias gradient of the active latents. */
export function sparseColumnSums(code: SparseCode, numCols: number): tf.Tensor1D {
  return tf.scatterND(tf.expandDims(code.cols, 1), code.vals, [numCols]) as tf.Tensor1D;
}

/** The dense [numRows, numCols] matrix of a sparse code (tests, small batches). */
export function sparseToDense(code: SparseCode, numCols: number): tf.Tensor2D {
  return tf.tidy(
    () => tf.scatterND(tf.stack([code.rows, code.cols], 1), code.vals, [code.numRows, numCols]) as tf.Tensor2D,
  );
}
