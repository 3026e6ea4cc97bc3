// The streaming structures of the analysis pass against brute force on random event streams:
// top-k heaps, bucket samplers (bottom-s by seeded key), histograms, and the window origin tracker.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CorpusPiece } from '../../../src/engine/capture/corpus';
import { makeWindows, type WindowSettings } from '../../../src/engine/capture/windows';
import { contextSlice } from '../../../src/engine/analysis/examples';
import { FeatureStats, histogramBin, HIST_BINS_PER_DECADE, HIST_LOG10_LO } from '../../../src/engine/analysis/featureStats';
import { BucketSampler, sampleKey } from '../../../src/engine/analysis/quantileSampler';
import { FeatureTopK } from '../../../src/engine/analysis/topExamples';
import { WindowOriginTracker } from '../../../src/engine/analysis/windowOrigins';

/** A random stream of window peaks: (feature, act, window) with windows increasing; acts quantized so ties happen. */
const peakStream = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 7 }), fc.boolean()), { minLength: 1, maxLength: 400 })
  .map((rows) => {
    const seen = new Set<string>();
    let window = 0;
    const events: { feature: number; act: number; window: number; pos: number }[] = [];
    for (const [feature, q, pos, nextWindow] of rows) {
      if (nextWindow) window++;
      if (seen.has(`${feature}:${window}`)) continue; // one peak per (feature, window)
      seen.add(`${feature}:${window}`);
      events.push({ feature, act: Math.fround(q / 16), window, pos });
    }
    return events;
  });

describe('FeatureTopK', () => {
  it('keeps exactly the k best peaks (higher activation, then earlier window) and never more than k', () => {
    fc.assert(
      fc.property(peakStream, fc.integer({ min: 1, max: 6 }), (events, k) => {
        const top = new FeatureTopK(4, k);
        for (const e of events) {
          top.offer(e.feature, e.act, e.window, e.pos);
          expect(top.largestSize()).toBeLessThanOrEqual(k);
        }
        for (let f = 0; f < 4; f++) {
          const expected = events
            .filter((e) => e.feature === f)
            .sort((a, b) => b.act - a.act || a.window - b.window)
            .slice(0, k)
            .map((e) => ({ act: e.act, window: e.window, pos: e.pos }));
          expect(top.entries(f)).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('BucketSampler', () => {
  it('each bucket holds the bottom-s keys among the peaks in its fine-bin range, whatever the arrival order', () => {
    fc.assert(
      fc.property(peakStream, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }), (events, B, s, seed) => {
        const sampler = new BucketSampler(4, B, s, seed);
        const reversed = new BucketSampler(4, B, s, seed);
        for (const e of events) sampler.offer(e.feature, e.act, e.window, e.pos);
        for (const e of [...events].reverse()) reversed.offer(e.feature, e.act, e.window, e.pos);
        for (let f = 0; f < 4; f++) {
          const mine = events.filter((e) => e.feature === f);
          const max = Math.max(0, ...mine.map((e) => e.act));
          const got = sampler.samples(f, max);
          expect(reversed.samples(f, max)).toEqual(got);
          if (mine.length === 0) {
            expect(got.every((b) => b.length === 0)).toBe(true);
            continue;
          }
          // R: the smallest power of two above the max; fine bins of width R/F.
          const R = sampler.range(f)!;
          expect(R > max && R / 2 <= max).toBe(true);
          const ranges = Array.from({ length: B }, (_, b) => sampler.bucketRange(f, max, b)!);
          // Buckets tile [0, max] and each edge is within one fine bin (< 2·max/F) of j·max/B.
          expect(ranges[0]![0]).toBe(0);
          expect(ranges[B - 1]![1]).toBeGreaterThan(max);
          ranges.forEach(([lo], b) => expect(Math.abs(lo - (b * max) / B)).toBeLessThanOrEqual(R / sampler.fineBins));
          for (let b = 0; b < B; b++) {
            const [lo, hi] = ranges[b]!;
            const expected = mine
              .filter((e) => e.act >= lo && e.act < hi)
              .map((e) => ({ ...e, key: sampleKey(e.window, f, seed) }))
              .sort((x, y) => x.key - y.key || x.window - y.window)
              .slice(0, s)
              .sort((x, y) => y.act - x.act || x.window - y.window)
              .map((e) => ({ act: e.act, window: e.window, pos: e.pos, key: e.key }));
            expect(got[b]).toEqual(expected);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('sample keys are spread evenly (a biased key would bias every sample)', () => {
    const bins = new Array(16).fill(0);
    for (let w = 0; w < 4000; w++) for (let f = 0; f < 8; f++) bins[Math.floor(sampleKey(w, f, 7) / 2 ** 28)]++;
    const expected = 32000 / 16;
    const chi2 = bins.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(40); // 15 degrees of freedom: p ≈ 0.0005
  });
});

describe('FeatureStats', () => {
  it('counts, max, mean and a log10 histogram whose counts sum to the active count', () => {
    const stats = new FeatureStats(2);
    const values = [1e-9, 0.0123, 0.5, 0.5, 3, 42, 2e5];
    for (const v of values) stats.add(1, v);
    stats.tokens = 20;
    const s = stats.summary(1);
    expect(s.active).toBe(7);
    expect(s.density).toBeCloseTo(7 / 20, 12);
    expect(s.maxAct).toBe(Math.fround(2e5));
    expect(s.meanAct).toBeCloseTo(values.reduce((a, b) => a + b, 0) / 7, 6);
    const h = s.histogram!;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(7);
    // Every value inside the grid lands in the bin whose log10 range holds it.
    for (const v of [0.0123, 0.5, 3, 42]) {
      const i = histogramBin(v) - Math.round((h.lo - HIST_LOG10_LO) * HIST_BINS_PER_DECADE);
      const lo = h.lo + i / HIST_BINS_PER_DECADE;
      expect(Math.log10(v)).toBeGreaterThanOrEqual(lo - 1e-12);
      expect(Math.log10(v)).toBeLessThan(lo + 1 / HIST_BINS_PER_DECADE + 1e-12);
      expect(h.counts[i]).toBeGreaterThan(0);
    }
    expect(stats.summary(0)).toEqual({ active: 0, density: 0, maxAct: 0, meanAct: 0, histogram: null });
  });
});

describe('contextSlice', () => {
  it('shows size tokens around the peak, inside the window, peak included', () => {
    for (let length = 1; length < 40; length++) {
      for (let pos = 0; pos < length; pos++) {
        for (const size of [1, 5, 32]) {
          const [from, to] = contextSlice(length, pos, size);
          expect(to - from).toBe(Math.min(size, length));
          expect(from).toBeGreaterThanOrEqual(0);
          expect(to).toBeLessThanOrEqual(length);
          expect(pos >= from && pos < to).toBe(true);
        }
      }
    }
    expect(contextSlice(128, 100, 32)).toEqual([77, 109]); // 23 before, 8 after
  });
});

describe('WindowOriginTracker', () => {
  // Documents as token lists (encode = split on spaces into numbers), pieces of ≤ 3 words.
  const docs = [
    [5, 6, 7, 8, 9, 10, 11],
    [12, 13],
    [14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
    [24],
  ];
  function pieces(): CorpusPiece[] {
    const out: CorpusPiece[] = [];
    const at = { file: 0, offset: 0, line: 0, part: 0 };
    docs.forEach((doc) => {
      for (let i = 0; i < doc.length; i += 3) out.push({ text: doc.slice(i, i + 3).join(' '), startsDocument: i === 0, start: at, next: at, where: 'mem' });
    });
    return out;
  }
  const encode = (text: string): number[] => text.split(' ').map(Number);

  for (const bos of ['separator', 'prepend', 'none'] as const) {
    it(`maps every window token back to its document and offset (${bos})`, () => {
      const settings: WindowSettings = { contextLength: 4, bos, bosTokenId: bos === 'none' ? null : 1, maskSpecialTokens: true, specialTokenIds: [1] };
      const tracker = new WindowOriginTracker(bos, settings.bosTokenId);
      // Each document's own stream: its BOS/separator first unless 'none'.
      const streams = docs.map((d) => (bos === 'none' ? d : [1, ...d]));
      let windows = 0;
      let addedBos = 0;
      for (const w of makeWindows(tracker.pieces(pieces()), tracker.encoder(encode), settings)) {
        windows++;
        tracker.origins(w).forEach((o, p) => {
          if (o.offset === -1) {
            addedBos++;
            expect(bos).toBe('prepend');
            expect(p).toBe(0);
            expect(w.tokens[p]).toBe(1);
          } else expect(streams[o.doc]![o.offset]).toBe(w.tokens[p]);
        });
      }
      expect(windows).toBeGreaterThan(4);
      if (bos === 'prepend') expect(addedBos).toBeGreaterThan(0);
    });
  }
});
