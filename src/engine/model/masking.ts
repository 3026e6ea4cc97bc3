// Causal / padding / sliding-window masks and position ids, computed on the CPU from the
// attention mask (1 = real token, 0 = padding) of every key the step can see.
//
// Positions count real tokens only (HF generate: cumsum(mask) − 1), so a left- or right-padded
// row gets the same positions — and the same logits at its real tokens — as the unpadded row.

import * as tf from '@tensorflow/tfjs';

/** Added to hidden scores; exp() of it is exactly 0 in float32, and it cannot overflow to -inf. */
export const MASKED = -1e9;

export interface StepLayout {
  /** [batch][k_pos]: 1 for real tokens, 0 for padding, over cached + new positions. */
  keyValid: number[][];
  /** Index of the step's first query in the key axis (the cache length). */
  queryStart: number;
  /** Queries in this step. */
  queryCount: number;
}

/** Position id of each query: the number of real tokens before it in its row (0 for padding). */
export function positionIds(layout: StepLayout): number[][] {
  return layout.keyValid.map((row) => {
    const out: number[] = [];
    let seen = 0;
    for (let j = 0; j < layout.queryStart + layout.queryCount; j++) {
      const real = (row[j] ?? 0) === 1;
      if (j >= layout.queryStart) out.push(real ? seen : 0);
      if (real) seen++;
    }
    return out;
  });
}

/**
 * Additive mask [batch, 1, q_pos, k_pos]: key j is visible to query i when j ≤ i, j is a real
 * token and (local layers) i − j < window. A query with no visible key (a padding query before
 * any real token) sees itself, so its row stays finite; its output is never a real token's.
 */
export function additiveMask(layout: StepLayout, window: number | null): tf.Tensor4D {
  const { keyValid, queryStart, queryCount } = layout;
  const batch = keyValid.length;
  const kPos = queryStart + queryCount;
  const data = new Float32Array(batch * queryCount * kPos).fill(MASKED);
  for (let b = 0; b < batch; b++) {
    const row = keyValid[b] ?? [];
    for (let q = 0; q < queryCount; q++) {
      const i = queryStart + q;
      const base = (b * queryCount + q) * kPos;
      let visible = 0;
      for (let j = 0; j <= i; j++) {
        if ((row[j] ?? 0) !== 1) continue;
        if (window !== null && i - j >= window) continue;
        data[base + j] = 0;
        visible++;
      }
      if (visible === 0) data[base + i] = 0;
    }
  }
  return tf.tensor4d(data, [batch, 1, queryCount, kPos]);
}

/** One mask per distinct window size the model's layers use (global = null). */
export function masksByWindow(layout: StepLayout, windows: (number | null)[]): Map<number | null, tf.Tensor4D> {
  const out = new Map<number | null, tf.Tensor4D>();
  for (const w of windows) if (!out.has(w)) out.set(w, additiveMask(layout, w));
  return out;
}
