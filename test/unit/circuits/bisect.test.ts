// The bisection to the smallest circuit under a target loss, on loss curves given by hand.
import { describe, expect, it } from 'vitest';
import { rankByScore, smallestUnderTarget } from '../../../src/engine/circuits/bisect';

describe('smallestUnderTarget', () => {
  const curve = (threshold: number) => (k: number) => (k >= threshold ? 0.1 : 0.5);

  it('finds the smallest k whose loss is under the target, for every threshold', () => {
    for (const t of [0, 1, 2, 7, 63, 64, 99, 100]) expect(smallestUnderTarget([100], 0.15, curve(t)).k).toBe(t);
  });

  it('starts from the smallest candidate that passes (a trained mask can beat the whole model)', () => {
    // The whole model (k = 100) is above the target; the trained mask's 12 nodes are under it.
    const loss = (k: number) => (k === 100 ? 0.4 : k >= 9 ? 0.1 : 0.5);
    const r = smallestUnderTarget([100, 12], 0.15, loss);
    expect(r.k).toBe(9);
    expect(r.steps.every((s) => s.k <= 12 || s.k === 100)).toBe(true);
  });

  it('says null when no candidate reaches the target, and a loss exactly at the target passes', () => {
    expect(smallestUnderTarget([100, 10], 0.15, () => 0.2).k).toBeNull();
    expect(smallestUnderTarget([8], 0.15, (k) => (k >= 5 ? 0.15 : 0.16)).k).toBe(5);
  });

  it('takes about log2(n) evaluations', () => {
    const r = smallestUnderTarget([1 << 12], 0.15, curve(1234));
    expect(r.steps.length).toBeLessThanOrEqual(2 + 12);
  });
});

describe('rankByScore', () => {
  it('orders by score, highest first, and equal scores by node index', () => {
    expect(rankByScore(Float32Array.from([0.5, 2, 0.5, -1, 2]))).toEqual([1, 4, 0, 2, 3]);
  });
});
