// Rank statistics against values worked out by hand (and agreeing with scipy.stats).

import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from '../../../src/engine/attribution/stats';

describe('correlation', () => {
  it('gives tied values the mean of their ranks', () => {
    expect(Array.from(averageRanks([10, 20, 20, 5, 20]))).toEqual([2, 4, 4, 1, 4]);
  });

  it('Spearman with ties equals Pearson of the average ranks (scipy: 0.9486832980505138)', () => {
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505138, 12);
  });

  it('is invariant to monotone maps for Spearman, not for Pearson; reversed order gives −1', () => {
    const x = [0.1, 0.5, 0.2, 0.9, 0.3];
    const y = x.map((v) => Math.exp(10 * v));
    expect(spearman(x, y)).toBeCloseTo(1, 12);
    expect(pearson(x, y)).toBeLessThan(0.95);
    expect(spearman(x, x.map((v) => -v))).toBeCloseTo(-1, 12);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
  });
});
