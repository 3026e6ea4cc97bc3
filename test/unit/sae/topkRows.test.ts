// Row top-k selection (wasm kernel and tfjs fallback) against a sort written here, and the
// blocked TopK encoder against the dense formulation ReLU(TopK(x @ W_enc + b_enc)).
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topKCode } from '../../../src/engine/sae/sparse/topkCode';
import { encodeTopK } from '../../../src/engine/sae/sparse/encodeTopK';
import { setSparseImpl, sparseToDense } from '../../../src/engine/sae/sparse/sparseOps';
import { topKRows } from '../../../src/engine/sae/sparse/topkRows';
import { kernelsAvailable, maxAbsDiff, seededFloats, useEngineBackend } from './helpers/backend';

beforeAll(useEngineBackend);
afterEach(() => setSparseImpl('auto'));

/** Indices of the k largest of row + bias among eligible columns, descending, ties to the lower index. */
function referenceTopK(row: Float32Array, bias: Float32Array, k: number, eligible?: (j: number) => boolean): number[] {
  const idx = [...row.keys()].filter((j) => eligible?.(j) ?? true);
  const score = (j: number): number => Math.fround(row[j]! + bias[j]!);
  return idx.sort((a, b) => score(b) - score(a) || a - b).slice(0, k);
}

describe.each(['kernel', 'fallback'] as const)('topKRows (%s)', (impl) => {
  it('picks the k best of pre + bias per row, in order, with and without a mask', (ctx) => {
    if (impl === 'kernel' && !kernelsAvailable()) ctx.skip();
    setSparseImpl(impl);
    const N = 9, n = 70, k = 6;
    const preData = seededFloats(N * n, 31);
    // Ties inside a row: the lower column must come first.
    preData[3] = preData[10] = 5;
    const biasData = seededFloats(n, 32).map((v) => v * 0.5);
    biasData[3] = biasData[10] = 0;
    const maskData = new Float32Array(n).map((_, j) => (j % 3 === 0 ? 1 : 0));
    const pre = tf.tensor2d(preData, [N, n]);
    const bias = tf.tensor1d(biasData);
    for (const useMask of [false, true]) {
      const top = topKRows(pre, bias, k, useMask ? tf.tensor1d(maskData) : undefined);
      const idx = top.indices.arraySync() as number[][];
      const vals = top.values.arraySync() as number[][];
      for (let r = 0; r < N; r++) {
        const row = preData.subarray(r * n, (r + 1) * n);
        const want = referenceTopK(row, biasData, k, useMask ? (j) => maskData[j] === 1 : undefined);
        expect(idx[r], `row ${r} mask ${useMask}`).toEqual(want);
        expect(maxAbsDiff(vals[r]!, want.map((j) => row[j]! + biasData[j]!))).toBeLessThan(1e-6);
      }
      expect(top.indices.dtype).toBe('int32');
    }
    expect(idx0(topKRows(pre, bias, k))).toEqual([3, 10]);
  });
});

function idx0(top: { indices: tf.Tensor2D }): number[] {
  return (top.indices.arraySync() as number[][])[0]!.slice(0, 2);
}

describe.each(['kernel', 'fallback'] as const)('encodeTopK (%s)', (impl) => {
  it('equals ReLU(TopK(x @ W_enc + b_enc)) and the dead-latent AuxK code, across several row blocks', (ctx) => {
    if (impl === 'kernel' && !kernelsAvailable()) ctx.skip();
    setSparseImpl(impl);
    // d_sae large enough that a 2^23-float block holds fewer rows than the batch (3 blocks).
    const B = 300, dIn = 8, dSae = 1 << 15, k = 4, kAux = 3;
    const x = tf.tensor2d(seededFloats(B * dIn, 41), [B, dIn]);
    const W = tf.tensor2d(seededFloats(dIn * dSae, 42), [dIn, dSae]);
    const b = tf.tensor1d(seededFloats(dSae, 43).map((v) => v * 0.2));
    const dead = new Float32Array(dSae);
    for (let j = 0; j < dSae; j += 97) dead[j] = 1;
    const deadMask = tf.tensor1d(dead);
    const before = tf.memory().numTensors;
    const got = encodeTopK(x, W, b, k, { deadMask, k: kAux });
    expect(tf.memory().numTensors - before).toBe(6); // the two codes' rows, cols, vals; nothing leaked
    const pre = tf.add(tf.matMul(x, W), b) as tf.Tensor2D;
    const want = topKCode(pre, k);
    const wantAux = topKCode(tf.add(pre, tf.mul(tf.sub(deadMask, 1), 1e30)) as tf.Tensor2D, kAux);
    expect(maxAbsDiff(sparseToDense(got.code, dSae).dataSync(), sparseToDense(want, dSae).dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(sparseToDense(got.auxCode!, dSae).dataSync(), sparseToDense(wantAux, dSae).dataSync())).toBeLessThan(1e-5);
    expect(Array.from(got.auxCode!.cols.dataSync()).every((j) => dead[j] === 1)).toBe(true);
    expect(Array.from(got.code.vals.dataSync()).some((v) => v > 0)).toBe(true);
  });
});
