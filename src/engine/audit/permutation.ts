// The paired permutation (sign-flip) test: under "the two sides do not differ", each pair's
// difference b − a is as likely to have come out with the opposite sign, so the mean difference is
// compared with the means of randomly sign-flipped differences. It assumes nothing about the
// distribution (SAE features are mostly zero, with a few large values: far from the normal the
// t-test wants). Monte Carlo with the sequential stopping rule of Besag & Clifford (1991): a unit
// stops as soon as `stopAfter` flipped means reach its own, so the many units with no effect
// cost a few dozen draws and only the ones with an effect run every permutation.

import { SeededRandom } from '../random';

export interface PermutationOptions {
  /** Most sign-flip draws for one unit; default 9999 (smallest p ≈ 1e-4). */
  permutations?: number;
  /** Draws reaching the observed |mean| after which the unit stops (Besag–Clifford h); default 20. */
  stopAfter?: number;
  seed?: number;
}

export const DEFAULT_PERMUTATIONS = 9999;

/**
 * Two-sided p of the mean of `diffs` (pair differences) by random sign flips. All-zero
 * differences give p = 1. p is (1 + hits) / (1 + draws) when every draw ran, hits / draws when the
 * unit stopped early, so it is never 0 and a valid p-value either way.
 */
export function signFlipP(diffs: ArrayLike<number>, opts: PermutationOptions = {}): number {
  const n = diffs.length;
  const draws = opts.permutations ?? DEFAULT_PERMUTATIONS;
  const stopAfter = opts.stopAfter ?? 20;
  let sum = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    sum += diffs[i] as number;
    scale = Math.max(scale, Math.abs(diffs[i] as number));
  }
  if (n === 0 || scale === 0) return 1;
  const observed = Math.abs(sum);
  // Float noise: a flipped sum equal to the observed one in exact arithmetic counts as reaching it.
  const tolerance = 1e-9 * scale * n;
  const rng = new SeededRandom(opts.seed ?? 0);
  let hits = 0;
  for (let k = 1; k <= draws; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.next() < 0.5 ? -(diffs[i] as number) : (diffs[i] as number);
    if (Math.abs(s) >= observed - tolerance) {
      hits++;
      if (hits >= stopAfter) return hits / k;
    }
  }
  return (1 + hits) / (1 + draws);
}
