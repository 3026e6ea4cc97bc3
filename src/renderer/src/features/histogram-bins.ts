import type { Histogram } from './types';

/** Edges of bin i of a histogram, in activation units (log10 bins are converted back). */
export function binEdges(h: Histogram, i: number): [number, number] {
  const n = h.counts.length;
  const at = (k: number) => h.lo + ((h.hi - h.lo) * k) / n;
  return h.scale === 'log10' ? [10 ** at(i), 10 ** at(i + 1)] : [at(i), at(i + 1)];
}
