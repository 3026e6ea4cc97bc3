// The sparse kernels (wasm JS loops) and their tfjs-op fallbacks against plain dense tfjs math.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topKCode } from '../../../src/engine/sae/sparse/topkCode';
import {
  setSparseImpl,
  sparseColumnSums,
  sparseDecode,
  sparseRowDots,
  sparseScatterOuter,
  sparseToDense,
  type SparseCode,
} from '../../../src/engine/sae/sparse/sparseOps';
import { SPARSE_KERNEL_NAMES } from '../../../src/engine/sae/sparse/wasmKernels';
import { kernelsAvailable, maxAbsDiff, seededFloats, useEngineBackend } from './helpers/backend';

const B = 37, d = 24, n = 96, k = 5;

beforeAll(useEngineBackend);
afterEach(() => setSparseImpl('auto'));

function fixtures(): { code: SparseCode; W: tf.Tensor2D; V: tf.Tensor2D; dense: tf.Tensor2D } {
  const pre = tf.tensor2d(seededFloats(B * n, 1), [B, n]);
  const code = topKCode(pre, k);
  pre.dispose();
  return {
    code,
    W: tf.tensor2d(seededFloats(n * d, 2), [n, d]),
    V: tf.tensor2d(seededFloats(B * d, 3), [B, d]),
    dense: sparseToDense(code, n), // [B, n]
  };
}

/** A code with repeated (row, col) pairs and arbitrary row order, as batchtopk produces. */
function messyCode(): SparseCode {
  const rows = [0, 5, 5, 2, 36, 0, 5, 11, 11, 11];
  const cols = [3, 3, 3, 95, 0, 3, 7, 1, 1, 50];
  return { rows: tf.tensor1d(rows, 'int32'), cols: tf.tensor1d(cols, 'int32'), vals: tf.tensor1d(seededFloats(rows.length, 9)), numRows: B };
}

describe.each(['kernel', 'fallback'] as const)('sparse ops (%s)', (impl) => {
  it('decode equals dense f @ W', () => {
    setSparseImpl(impl);
    for (const make of [fixtures, () => ({ ...fixtures(), code: messyCode() })]) {
      const { code, W } = make();
      const dense = sparseToDense(code, n);
      const got = sparseDecode(code, W).dataSync();
      const want = tf.matMul(dense, W).dataSync();
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    }
  });

  it('rowDots equals the dense gradient dL/df at the active entries', () => {
    setSparseImpl(impl);
    const { code, W, V } = fixtures();
    const got = sparseRowDots(code, W, V).dataSync();
    const denseGrad = tf.matMul(V, W, false, true); // [B, n] = dx̂ @ W_decᵀ
    const want = tf.gatherND(denseGrad, tf.stack([code.rows, code.cols], 1)).dataSync();
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });

  it('scatterOuter equals dense fᵀ @ V, duplicates summed', () => {
    setSparseImpl(impl);
    for (const make of [fixtures, () => ({ ...fixtures(), code: messyCode() })]) {
      const { code, V } = make();
      const dense = sparseToDense(code, n);
      const got = sparseScatterOuter(code, V, n).dataSync();
      const want = tf.matMul(dense, V, true, false).dataSync(); // [n, d]
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      const sums = sparseColumnSums(code, n).dataSync();
      expect(maxAbsDiff(sums, tf.sum(dense, 0).dataSync())).toBeLessThan(1e-5);
    }
  });
});

describe('on wasm, left on auto', () => {
  const ops = [
    ['decode', SPARSE_KERNEL_NAMES.decode, (c: SparseCode, W: tf.Tensor2D, _V: tf.Tensor2D) => sparseDecode(c, W)],
    ['rowDots', SPARSE_KERNEL_NAMES.rowDots, (c: SparseCode, W: tf.Tensor2D, V: tf.Tensor2D) => sparseRowDots(c, W, V)],
    ['scatterOuter', SPARSE_KERNEL_NAMES.scatterOuter, (c: SparseCode, _W: tf.Tensor2D, V: tf.Tensor2D) => sparseScatterOuter(c, V, n)],
  ] as const;

  // tf.profile lists every kernel the backend ran, so it shows which implementation did the work.
  it.for(ops)('%s runs the registered wasm kernel and none of the fallback ops', async ([, kernel, run], { skip }) => {
    if (!kernelsAvailable()) skip(`the engine picked ${tf.getBackend()}; the kernels are registered for wasm only`);
    const { code, W, V } = fixtures();
    const { kernelNames } = await tf.profile(() => run(code, W, V));
    expect(kernelNames).toContain(kernel);
    expect(kernelNames).not.toContain('GatherV2');
    expect(kernelNames).not.toContain('ScatterNd');
  });

  it.for(ops)('%s forced to the fallback runs gather/scatter ops instead (the profile tells them apart)', async ([, kernel, run]) => {
    setSparseImpl('fallback');
    const { code, W, V } = fixtures();
    const { kernelNames } = await tf.profile(() => run(code, W, V));
    expect(kernelNames).not.toContain(kernel);
    expect(kernelNames).toContain('GatherV2');
  });
});
