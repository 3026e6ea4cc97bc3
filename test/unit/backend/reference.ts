// Independent reference for the backend tests: a plain-JS triple loop in float64, and seeded
// random matrices so a failure can be reproduced.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../../src/engine/random';

export function randomMatrix(rows: number, cols: number, random: () => number): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = random() * 2 - 1;
  return m;
}

/** C = A·B with A [m, k], B [k, n], row-major, accumulated in float64. */
export function tripleLoopMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = sum;
    }
  }
  return c;
}

/**
 * Runs tf.matMul on the active backend and returns the worst relative error against the
 * triple loop, each element measured against max(|reference|, typical magnitude of an entry)
 * so that entries that happen to be near zero do not divide by ~0.
 */
export function worstMatmulRelativeError(m: number, k: number, n: number, seed: number): number {
  const random = mulberry32(seed);
  const a = randomMatrix(m, k, random);
  const b = randomMatrix(k, n, random);
  const got = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])).dataSync()); // [m, n]
  const want = tripleLoopMatmul(a, b, m, k, n);
  // Entries of A·B for uniform(-1, 1) inputs have standard deviation sqrt(k)/3.
  const typical = Math.sqrt(k) / 3;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), typical);
    if (!(err <= worst)) worst = err; // NaN propagates as a failure
  }
  return worst;
}
