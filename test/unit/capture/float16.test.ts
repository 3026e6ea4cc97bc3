// f32 → f16 narrowing, checked against the exact widening in formats/halfFloat.ts: for every finite
// f16 value, the f32 values at, just inside and just outside the midpoints to its neighbours must
// round to the right side, and exact ties must go to the even pattern.

import { describe, expect, it } from 'vitest';
import { f32BitsToF16Bits, f32ToF16, numberToF16Bits } from '../../../src/engine/capture/float16';
import { f16BitsToNumber } from '../../../src/engine/formats/halfFloat';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number): number => ((f32[0] = x), u32[0]!);
const nextUp = (x: number): number => ((f32[0] = x), (u32[0] = u32[0]! + (x >= 0 ? 1 : -1)), f32[0]);
const nextDown = (x: number): number => ((f32[0] = x), (u32[0] = u32[0]! - (x >= 0 ? 1 : -1)), f32[0]);

describe('f32 → f16', () => {
  it('every finite f16 value round-trips exactly', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // inf/NaN below
      if (f32BitsToF16Bits(bitsOf(f16BitsToNumber(h))) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('midpoints between neighbours: ties to even, one f32 ulp either side to the nearer', () => {
    // positive finite patterns h and h+1 are neighbours (0x7bff → 0x7c00 is max → inf)
    const wrong: string[] = [];
    for (let h = 0; h < 0x7bff; h++) {
      const lo = f16BitsToNumber(h);
      const hi = f16BitsToNumber(h + 1);
      const mid = Math.fround((lo + hi) / 2); // exact: f16 values have ≤ 11 significant bits
      const even = (h & 1) === 0 ? h : h + 1;
      const got = [mid === (lo + hi) / 2, f32BitsToF16Bits(bitsOf(mid)), f32BitsToF16Bits(bitsOf(nextDown(mid))), f32BitsToF16Bits(bitsOf(nextUp(mid))), f32BitsToF16Bits(bitsOf(-mid))];
      const want = [true, even, h, h + 1, even | 0x8000];
      if (got.join() !== want.join()) wrong.push(`${h}: got ${got} want ${want}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('overflow, infinities, NaN, and values below half the smallest subnormal', () => {
    expect(numberToF16Bits(65504)).toBe(0x7bff);
    expect(numberToF16Bits(65520)).toBe(0x7c00); // the midpoint to 2^16 rounds to even: inf
    expect(numberToF16Bits(nextDown(65520))).toBe(0x7bff);
    expect(numberToF16Bits(1e10)).toBe(0x7c00);
    expect(numberToF16Bits(-Infinity)).toBe(0xfc00);
    expect(numberToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(numberToF16Bits(NaN) & 0x3ff).not.toBe(0);
    expect(numberToF16Bits(2 ** -25)).toBe(0); // exactly half the smallest subnormal: tie to even 0
    expect(numberToF16Bits(nextUp(2 ** -25))).toBe(1);
    expect(numberToF16Bits(-1e-30)).toBe(0x8000);
  });

  it('f32ToF16 narrows arrays element-wise', () => {
    const src = Float32Array.from([1, -2.5, 0.1, 3e-6, 70000]);
    expect([...f32ToF16(src)]).toEqual([...src].map(numberToF16Bits));
  });
});
