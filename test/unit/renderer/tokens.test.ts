import { describe, expect, it } from 'vitest';
import { formatDensity, formatFloat32, heatBackground, heatFraction, peakIndex, visibleToken } from '../../../src/renderer/src/features/tokens';
import { binEdges } from '../../../src/renderer/src/features/histogram-bins';

describe('token display', () => {
  it('makes whitespace and control characters visible, and marks them apart from text', () => {
    expect(visibleToken(' the')).toBe('·the');
    expect(visibleToken('\n\n')).toBe('↵↵');
    expect(visibleToken('\tx ')).toBe('→x·');
    expect(visibleToken('a\u0000b')).toBe('a\\u0000b');
    expect(visibleToken('')).toBe('∅');
    expect(visibleToken('naïve')).toBe('naïve');
  });

  it('heat is value / feature max, clamped, and no colour at or below zero', () => {
    expect(heatFraction(3, 12)).toBe(0.25);
    expect(heatFraction(15, 12)).toBe(1);
    expect(heatFraction(-1, 12)).toBe(0);
    expect(heatFraction(1, 0)).toBe(0);
    expect(heatBackground(0)).toBeUndefined();
    expect(heatBackground(1)).toBe('rgba(245, 140, 60, 0.900)');
    expect(heatBackground(0.5)).toBe('rgba(245, 140, 60, 0.490)');
  });

  it('peak is the first maximum', () => {
    expect(peakIndex([0, 2, 5, 5, 1])).toBe(2);
    expect(peakIndex([])).toBe(-1);
  });

  it('prints the shortest decimal that reads back as the stored float32', () => {
    for (const v of [12.05, 0.1, 3.214, 1e-7, 123456.7]) {
      const s = formatFloat32(Math.fround(v));
      expect(Math.fround(Number(s))).toBe(Math.fround(v));
      expect(s.replace(/^0\.0*|[.-]|e.*$/g, '').length).toBeLessThanOrEqual(9);
    }
    expect(formatFloat32(Math.fround(12.05))).toBe('12.05');
  });

  it('density as a percentage', () => {
    expect(formatDensity(0)).toBe('0%');
    expect(formatDensity(0.2)).toBe('20.0%');
    expect(formatDensity(0.0123)).toBe('1.23%');
    expect(formatDensity(0.004)).toBe('0.40%');
    expect(formatDensity(0.0000114)).toBe('0.0011%');
  });

  it('histogram bin edges, converted back from log10', () => {
    const h = { scale: 'log10' as const, lo: -2, hi: 1, counts: [1, 2, 3] };
    expect(binEdges(h, 0)).toEqual([0.01, 0.1]);
    expect(binEdges(h, 2)[1]).toBeCloseTo(10, 12);
    expect(binEdges({ scale: 'linear', lo: 0, hi: 6, counts: [1, 1, 1] }, 1)).toEqual([2, 4]);
  });
});
