// The JS kernels split across helper threads give bit-for-bit the single-thread results, and the
// split really happens (on shapes large enough to be worth it, with the threaded wasm heap).
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topKCode } from '../../../src/engine/sae/sparse/topkCode';
import { kernelHelperWorkers, kernelThreads, runRanges, setKernelThreads, stopKernelThreads } from '../../../src/engine/sae/sparse/kernelThreads';
import { sparseDecode, sparseRowDots, sparseScatterOuter, type SparseCode } from '../../../src/engine/sae/sparse/sparseOps';
import { topKRows } from '../../../src/engine/sae/sparse/topkRows';
import { adamStep, normalizeRows, projectOutRows } from '../../../src/engine/sae/train/updateKernels';
import { kernelsAvailable, seededFloats, useEngineBackend } from './helpers/backend';

// Big enough that every kernel passes the hand-off threshold (2^18 inner steps).
const B = 512, d = 64, n = 2048, k = 16;

beforeAll(useEngineBackend);
afterAll(async () => {
  setKernelThreads(1);
  await stopKernelThreads();
});

/** Every kernel's outputs, as plain arrays. */
function runAll(): Record<string, Float32Array | Int32Array> {
  return tf.tidy(() => {
    const x = tf.tensor2d(seededFloats(B * d, 1), [B, d]);
    const W = tf.tensor2d(seededFloats(n * d, 2), [n, d]);
    const WT = tf.tensor2d(seededFloats(d * n, 3), [d, n]);
    const pre = tf.matMul(x, WT) as tf.Tensor2D; // [B, n]
    const bias = tf.tensor1d(seededFloats(n, 4));
    const mask = tf.tensor1d(Array.from({ length: n }, (_, j) => (j % 3 === 0 ? 1 : 0)));
    const code: SparseCode = topKCode(pre, k);
    const top = topKRows(pre, bias, k);
    const topMasked = topKRows(pre, bias, k, mask);
    const attrs = { beta1: 0.9, beta2: 0.999, stepSize: 1e-3, epsHat: 1e-8 };
    const adam = adamStep(W, tf.tensor2d(seededFloats(n * d, 5), [n, d]), tf.mul(W, 0.1), tf.abs(W), attrs);
    const adamT = adamStep(W, tf.tensor2d(seededFloats(d * n, 6), [d, n]), tf.mul(W, 0.1), tf.abs(W), attrs, true);
    const out = {
      decode: sparseDecode(code, W),
      rowDots: sparseRowDots(code, W, x),
      scatterOuter: sparseScatterOuter(code, x, n),
      topV: top.values,
      topI: top.indices,
      maskedV: topMasked.values,
      maskedI: topMasked.indices,
      adamP: adam.p,
      adamM: adam.m,
      adamV: adam.v,
      adamTP: adamT.p,
      project: projectOutRows(tf.tensor2d(seededFloats(n * d, 7), [n, d]), W),
      normalize: normalizeRows(W),
    };
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.dataSync() as Float32Array | Int32Array]));
  });
}

describe('kernel threads', () => {
  it('split across two threads, every kernel equals its one-thread result exactly', async (ctx) => {
    // The JS kernels exist for the wasm backend only, and helpers share its heap only in the threaded build.
    if (!kernelsAvailable() || getThreadsCount() < 2) ctx.skip();
    setKernelThreads(1);
    await stopKernelThreads();
    const one = runAll();
    expect(kernelThreads()).toBe(1);

    setKernelThreads(2);
    await stopKernelThreads();
    const two = runAll();
    expect(kernelThreads()).toBe(2);

    for (const name of Object.keys(one)) {
      expect(two[name]!.length, name).toBe(one[name]!.length);
      expect(Buffer.from(two[name]!.buffer).equals(Buffer.from(one[name]!.buffer)), `${name} differs between 1 and 2 threads`).toBe(true);
    }
    // Not a vacuous comparison: the outputs hold real numbers.
    expect(one.decode!.some((v) => v !== 0)).toBe(true);
    expect(one.topI!.some((v) => v !== 0)).toBe(true);
  });

  it('a loop that throws on a helper thread fails the kernel with its message, and the helper lives on', async () => {
    setKernelThreads(2);
    await stopKernelThreads();
    const heap = new SharedArrayBuffer(1 << 20); // 262,144 floats
    // topKRows with n = k = 1 writing row r's value at 200,000 + r: rows below 62,144 fit, so the
    // caller's half [0, 50,000) succeeds and only the helper's half [50,000, 100,000) overflows.
    const call = () => runRanges('topKRows', heap, [0, 0, -1, 200_000, 0, 1, 1], 100_000, 1 << 20);
    if (getThreadsCount() > 1) {
      expect(call).toThrow(/failed on a helper thread: RangeError/);
      // The helper survives its error and serves the next call.
      expect(() => runRanges('topKRows', heap, [0, 0, -1, 200_000, 0, 1, 1], 50_000, 1 << 20)).not.toThrow();
    } else {
      expect(call).toThrow(RangeError);
    }
    if (getThreadsCount() > 1) expect(kernelThreads()).toBe(2);
  });

  it('follows a new thread count, and drops a helper that died while the rest carry on', async (ctx) => {
    if (!kernelsAvailable() || getThreadsCount() < 2) ctx.skip();
    const heap = new SharedArrayBuffer(1 << 22);
    const F = new Float32Array(heap);
    // normalizeRows over 1024 rows of 256: rows r hold r + 1, so each normalised row is 1/16 everywhere.
    const rows = 1024, d = 256, out = rows * d;
    for (let r = 0; r < rows; r++) F.fill(r + 1, r * d, (r + 1) * d);
    const run = () => {
      F.fill(0, out, 2 * out);
      runRanges('normalizeRows', heap, [0, out, d, 1e-12], rows, rows * d);
      return F.subarray(out, 2 * out).every((v) => Math.abs(v - 1 / 16) < 1e-7);
    };
    setKernelThreads(2);
    await stopKernelThreads();
    expect(run()).toBe(true);
    expect(kernelThreads()).toBe(2);
    setKernelThreads(1);
    expect(run()).toBe(true);
    expect(kernelThreads()).toBe(1); // rebuilt without a stopKernelThreads()

    setKernelThreads(2);
    expect(run()).toBe(true);
    const [worker] = kernelHelperWorkers();
    await worker!.terminate(); // as if the thread had died
    await new Promise((r) => setImmediate(r)); // its 'exit' event reaches the pool
    expect(kernelThreads()).toBe(1);
    expect(run()).toBe(true);
  });
});
