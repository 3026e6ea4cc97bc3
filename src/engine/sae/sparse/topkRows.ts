// Per-row top-k of pre-activations plus a bias, optionally over a masked subset of columns:
// the selection step of TopK SAEs (k per token) and of AuxK (top k_aux among dead latents).
//
// Kernel (wasm, rangeLoops.ts): one pass over each row keeping a sorted list of the k best, so a [N, n] block
// costs about N·n compares and no [N, n] temporary for the bias sum; tfjs-wasm's TopK sorts much
// more per row (measured ~0.6-2 s for [4096, 16384], k 32, against ~0.1-0.3 s for this loop).
// Fallback: tf.topk(pre + bias + (mask − 1)·1e30), the formulation the trainer used before.
// Both order values descending and break ties by the lower column index.
import * as tf from '@tensorflow/tfjs';
import { at, f32, heapOf, input } from './heap';
import { runRanges } from './kernelThreads';
import { registerForWasm, useKernel } from './kernelChoice';

export const TOPK_ROWS_KERNEL = 'FeaturescopeTopKRows';

/** Added to the pre-activations of masked-out columns by the fallback. */
export const MASKED_PENALTY = 1e30;

export interface TopKRows {
  values: tf.Tensor2D; // [N, k] pre + bias, descending
  indices: tf.Tensor2D; // [N, k] int32 column indices
}

/**
 * Top k of (pre + bias) in each row of pre [N, n]. With `mask` ([n], 1 = eligible), only eligible
 * columns are chosen; the caller guarantees at least k of them.
 */
export function topKRows(pre: tf.Tensor2D, bias: tf.Tensor1D, k: number, mask?: tf.Tensor1D): TopKRows {
  const n = pre.shape[1];
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`topKRows: k must be an integer in [1, ${n}], got ${k}`);
  if (useKernel(TOPK_ROWS_KERNEL, register)) {
    const inputs: tf.NamedTensorMap = mask === undefined ? { pre, bias } : { pre, bias, mask };
    const [values, indices] = tf.engine().runKernel(TOPK_ROWS_KERNEL, inputs, { k }) as tf.Tensor[];
    return { values: values as tf.Tensor2D, indices: indices as tf.Tensor2D };
  }
  return tf.tidy(() => {
    let scored = tf.add(pre, bias); // [N, n]
    if (mask !== undefined) scored = tf.add(scored, tf.mul(tf.sub(mask, 1), MASKED_PENALTY));
    const top = tf.topk(scored, k);
    return { values: top.values as tf.Tensor2D, indices: top.indices as tf.Tensor2D };
  }) as TopKRows;
}

const topKRowsKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = heapOf(backend);
  const preInfo = input(inputs, 'pre');
  const biasInfo = input(inputs, 'bias');
  const maskInfo = inputs.mask;
  const k = (attrs as { k: number }).k;
  const [N = 0, n = 0] = preInfo.shape;
  const valuesOut = be.makeOutput([N, k], 'float32');
  const indicesOut = be.makeOutput([N, k], 'int32');
  const pre = f32(be, preInfo, 'pre');
  const bias = f32(be, biasInfo, 'bias');
  const mask = maskInfo === undefined ? undefined : f32(be, maskInfo, 'mask');
  const outV = f32(be, valuesOut, 'values');
  const outI = be.typedArrayFromHeap(indicesOut) as Int32Array;
  let eligible = n;
  if (mask !== undefined) {
    eligible = 0;
    for (let j = 0; j < n; j++) if (mask[j] === 1) eligible++;
  }
  if (eligible < k) throw new Error(`topKRows: ${eligible} eligible columns, fewer than k=${k}`);
  const args = [at(pre), at(bias), mask === undefined ? -1 : at(mask), at(outV), at(outI), n, k];
  runRanges('topKRows', pre.buffer, args, N, N * n);
  return [valuesOut, indicesOut];
};

function register(): void {
  registerForWasm([[TOPK_ROWS_KERNEL, topKRowsKernel]]);
}
