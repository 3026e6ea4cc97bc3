// The weight-sparsity projection keeps exactly the declared count of every matrix, at least the
// floor per protected line, and the largest entries otherwise — checked against a plain sort over
// random shapes and values drawn from a handful of levels, so ties (and zeros) are everywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keptCount, projectTopK, topKMask, type MatrixProjection } from '../../../src/engine/sparse/topk-projection';

/** The same rule written the slow, obvious way: sort each line, then sort the rest. */
function referenceMask(values: Float32Array, p: MatrixProjection): Uint8Array {
  const n = p.rows * p.cols;
  const k = keptCount(p);
  const mask = new Uint8Array(n);
  const mag = (i: number) => (Number.isNaN(values[i]!) ? -1 : Math.abs(values[i]!));
  const order = (a: number, b: number) => mag(b) - mag(a) || a - b;
  const byRow = p.floorAxis === 'rows';
  const [lines, length] = byRow ? [p.rows, p.cols] : [p.cols, p.rows];
  if (k === n) return mask.fill(1);
  for (let line = 0; line < lines; line++) {
    const idx = Array.from({ length }, (_, t) => (byRow ? line * p.cols + t : t * p.cols + line)).sort(order);
    for (const i of idx.slice(0, Math.min(p.floor, length))) mask[i] = 1;
  }
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => mask[i] === 0).sort(order);
  const forced = n - rest.length;
  for (const i of rest.slice(0, Math.max(0, k - forced))) mask[i] = 1;
  return mask;
}

const matrix = fc
  .record({
    rows: fc.integer({ min: 1, max: 24 }),
    cols: fc.integer({ min: 1, max: 24 }),
    fraction: fc.oneof(fc.double({ min: 1e-4, max: 1, noNaN: true }), fc.constantFrom(1 / 64, 1 / 1024, 1, 0.5)),
    floor: fc.integer({ min: 0, max: 6 }),
    floorAxis: fc.constantFrom('rows' as const, 'columns' as const),
    // Few distinct levels: most matrices are full of ties, some all equal or all zero.
    levels: fc.array(fc.constantFrom(0, 1, -1, 0.5, -0.5, 2, 3e-8), { minLength: 1, maxLength: 4 }),
    seed: fc.nat(),
  })
  .map(({ levels, seed, ...p }) => {
    let s = seed;
    const values = Float32Array.from({ length: p.rows * p.cols }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return levels[s % levels.length]!;
    });
    return { p, values };
  });

const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

describe('top-k weight projection', () => {
  it('keeps exactly the declared count, the floor of every line, and the largest of the rest (ties by index)', () => {
    fc.assert(
      fc.property(matrix, ({ p, values }) => {
        const mask = topKMask(values, p);
        const k = keptCount(p);
        expect(count(mask)).toBe(k);
        expect(k).toBeGreaterThanOrEqual(Math.min(p.rows * p.cols, Math.round(p.fraction * p.rows * p.cols)));
        const [lines, length] = p.floorAxis === 'rows' ? [p.rows, p.cols] : [p.cols, p.rows];
        for (let line = 0; line < lines; line++) {
          let kept = 0;
          for (let t = 0; t < length; t++) kept += mask[p.floorAxis === 'rows' ? line * p.cols + t : t * p.cols + line]!;
          expect(kept).toBeGreaterThanOrEqual(Math.min(p.floor, length));
        }
        expect([...mask]).toEqual([...referenceMask(values, p)]);
      }),
      { numRuns: 600 },
    );
  });

  it('keeps exactly the count on continuous random values too (no ties), larger shapes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 96 }),
        fc.integer({ min: 1, max: 96 }),
        fc.double({ min: 1e-4, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom('rows' as const, 'columns' as const),
        fc.nat(),
        (rows, cols, fraction, floor, floorAxis, seed) => {
          const p: MatrixProjection = { rows, cols, fraction, floor, floorAxis };
          let s = seed;
          const values = Float32Array.from({ length: rows * cols }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5);
          const mask = topKMask(values, p);
          expect(count(mask)).toBe(keptCount(p));
          expect([...mask]).toEqual([...referenceMask(values, p)]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('zeroes the dropped entries in place and leaves the kept ones untouched', () => {
    const values = Float32Array.from([0.1, -5, 0.2, 3, 0, -0.3, 4, 0.05, 0.4]); // 3×3
    const p: MatrixProjection = { rows: 3, cols: 3, fraction: 4 / 9, floor: 1, floorAxis: 'rows' };
    expect(projectTopK(values, p)).toBe(4);
    // Row floors: -5, 3, 4; then the largest of the rest: 0.4.
    expect([...values]).toEqual([0, -5, 0, 3, 0, 0, 4, 0, Math.fround(0.4)]);
  });

  it('declares the fraction share, raised to the floor, capped at the matrix', () => {
    expect(keptCount({ rows: 128, cols: 512, fraction: 1 / 64, floor: 4, floorAxis: 'columns' })).toBe(2048);
    expect(keptCount({ rows: 1024, cols: 4096, fraction: 1 / 64, floor: 4, floorAxis: 'columns' })).toBe(65536);
    expect(keptCount({ rows: 3, cols: 2, fraction: 1 / 64, floor: 4, floorAxis: 'rows' })).toBe(6);
  });
});
