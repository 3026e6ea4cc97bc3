// Streaming per-feature statistics over every analysed token: how often the feature is active
// (density), its max and mean (over active tokens), and a log10 histogram of its activations.
//
// The histogram uses one fixed absolute grid for every feature — 10 bins per decade from 1e-6
// to 1e4 — so a value's bin never depends on what came before (no running max, no re-binning,
// no first-chunk guess), and counts are exact. At the end each feature's histogram is cropped to
// the bins it used. Values below 1e-6 count in the first bin and above 1e4 in the last, so the
// counts always sum to the active count; SAE activations live well inside that range.

import type { Histogram } from '../../catalog/types';

export const HIST_LOG10_LO = -6;
export const HIST_LOG10_HI = 4;
export const HIST_BINS_PER_DECADE = 10;
export const HIST_BINS = (HIST_LOG10_HI - HIST_LOG10_LO) * HIST_BINS_PER_DECADE;

export function histogramBin(act: number): number {
  const b = Math.floor((Math.log10(act) - HIST_LOG10_LO) * HIST_BINS_PER_DECADE);
  return b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
}

export interface FeatureSummary {
  /** Active tokens (activation > 0). */
  active: number;
  density: number;
  maxAct: number;
  meanAct: number;
  histogram: Histogram | null;
}

export class FeatureStats {
  /** Float64 so counts and sums stay exact far beyond 2^32 tokens. */
  readonly active: Float64Array;
  readonly sum: Float64Array;
  readonly max: Float32Array;
  readonly hist: Float64Array;
  /** Tokens analysed (the denominator of density). */
  tokens = 0;

  constructor(readonly features: number) {
    this.active = new Float64Array(features);
    this.sum = new Float64Array(features);
    this.max = new Float32Array(features);
    this.hist = new Float64Array(features * HIST_BINS);
  }

  /** One active value (> 0) of a feature; the scan loop calls this for every nonzero activation. */
  add(feature: number, act: number): void {
    this.active[feature]!++;
    this.sum[feature]! += act;
    if (act > this.max[feature]!) this.max[feature] = act;
    this.hist[feature * HIST_BINS + histogramBin(act)]!++;
  }

  summary(feature: number): FeatureSummary {
    const active = this.active[feature]!;
    if (active === 0 || this.tokens === 0) return { active: 0, density: 0, maxAct: 0, meanAct: 0, histogram: null };
    const base = feature * HIST_BINS;
    let first = 0;
    while (this.hist[base + first] === 0) first++;
    let last = HIST_BINS - 1;
    while (this.hist[base + last] === 0) last--;
    const counts = Array.from(this.hist.subarray(base + first, base + last + 1));
    return {
      active,
      density: active / this.tokens,
      maxAct: this.max[feature]!,
      meanAct: this.sum[feature]! / active,
      histogram: {
        scale: 'log10',
        lo: HIST_LOG10_LO + first / HIST_BINS_PER_DECADE,
        hi: HIST_LOG10_LO + (last + 1) / HIST_BINS_PER_DECADE,
        counts,
      },
    };
  }
}
