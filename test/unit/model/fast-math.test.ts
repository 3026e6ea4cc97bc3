// The forward's faster forms (issue #15) against the plain-tfjs reference forms they replace, on
// the wasm backend the engine runs here: gelu_tanh as x·sigmoid(2u), the soft cap through sigmoid,
// attention with q scaled before the product. Inputs span the ranges real activations reach
// (|x| up to 30 for the MLP, scores past the cap) so a form that overflows or cancels shows.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { attend, attendReference, geluTanh, geluTanhReference, softcap, softcapReference } from '../../../src/engine/model/layers';
import { MASKED } from '../../../src/engine/model/masking';
import { Rng } from '../../../src/engine/random';

function values(n: number, scale: number, seed: number): Float32Array {
  const out = Rng.fromSeed(seed).normals(n);
  for (let i = 0; i < n; i++) out[i]! *= scale;
  return out;
}

/** max |a − b| / max(1, max |b|) */
function relativeGap(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync(), y = b.dataSync();
  let gap = 0, scale = 1;
  for (let i = 0; i < y.length; i++) {
    gap = Math.max(gap, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return gap / scale;
}

describe('fast forward math equals the reference forms', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('gelu_tanh as x·sigmoid(2u) matches 0.5·x·(1 + tanh(u)) from −30 to 30', () => {
    tf.tidy(() => {
      const grid = tf.linspace(-30, 30, 60001);
      const random = tf.tensor1d(values(100_000, 3, 1));
      for (const x of [grid, random]) {
        const fast = geluTanh(x), ref = geluTanhReference(x);
        expect(relativeGap(fast, ref)).toBeLessThan(2e-6);
        expect(fast.isNaN().any().dataSync()[0]).toBe(0);
      }
      // The tails: −30 gives 0 (not −0·∞ = NaN), +30 gives 30.
      expect(Array.from(geluTanh(tf.tensor1d([-30, 0, 30])).dataSync())).toEqual([-0, 0, 30]);
    });
  });

  it('softcap through sigmoid matches cap·tanh(x/cap), below and far past the cap', () => {
    tf.tidy(() => {
      for (const cap of [5, 30, 50]) {
        const x = tf.tensor1d(values(100_000, 2 * cap, cap));
        expect(relativeGap(softcap(x, cap), softcapReference(x, cap))).toBeLessThan(1e-6);
        expect(Array.from(softcap(tf.tensor1d([-1e6, 1e6]), cap).dataSync())).toEqual([-cap, cap]);
      }
      const x = tf.tensor1d([1, 2]);
      expect(softcap(x, null)).toBe(x);
    });
  });

  it.each([
    ['multi-head, no cap', 2, 4, 4, 16, 9, null],
    ['grouped-query with a soft cap', 2, 8, 2, 8, 7, 5],
  ] as const)('attend equals attendReference: %s', (_label, batch, heads, kv, headDim, pos, cap) => {
    tf.tidy(() => {
      const q = tf.tensor4d(values(batch * heads * pos * headDim, 1, 2), [batch, heads, pos, headDim]);
      const k = tf.tensor4d(values(batch * kv * pos * headDim, 1, 3), [batch, kv, pos, headDim]);
      const v = tf.tensor4d(values(batch * kv * pos * headDim, 1, 4), [batch, kv, pos, headDim]);
      const causal = new Float32Array(batch * pos * pos);
      for (let b = 0; b < batch; b++) for (let i = 0; i < pos; i++) for (let j = i + 1; j < pos; j++) causal[(b * pos + i) * pos + j] = MASKED;
      const mask = tf.tensor4d(causal, [batch, 1, pos, pos]);
      const config = { attnScale: 1 / Math.sqrt(headDim), attnSoftcap: cap };
      const fast = attend(q, k, v, mask, config), ref = attendReference(q, k, v, mask, config);
      expect(fast.shape).toEqual([batch, pos, heads * headDim]);
      expect(relativeGap(fast, ref)).toBeLessThan(1e-5);
    });
  });
});
