import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16BitsToNumber, f16ToF32 } from '../../../src/engine/formats/halfFloat';

/** IEEE 754 binary16 decoded from its definition, in float64 arithmetic (independent of the table). */
function f16ByDefinition(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

describe('F16 → f32', () => {
  it('matches the IEEE definition for all 65,536 bit patterns', () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i;
    const out = f16ToF32(all);
    let mismatches = 0;
    for (let h = 0; h < 65536; h++) {
      const want = f16ByDefinition(h);
      const got = out[h]!;
      if (Number.isNaN(want) ? !Number.isNaN(got) : !Object.is(got, want)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('keeps NaN payload and sign bits', () => {
    const out = f16ToF32(Uint16Array.from([0x7e00, 0xfc01, 0x7c01]));
    const bits = new Uint32Array(out.buffer);
    expect(Array.from(bits).map((b) => b.toString(16))).toEqual(['7fc00000', 'ff802000', '7f802000']);
  });

  it('scalar helper agrees', () => {
    expect(f16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(f16BitsToNumber(0xc000)).toBe(-2);
  });
});

describe('BF16 → f32', () => {
  it('is the high half of the f32 bit pattern for all 65,536 patterns', () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i;
    const out = new Uint32Array(bf16ToF32(all).buffer);
    for (let i = 0; i < 65536; i += 4099) expect(out[i]).toBe(i * 65536);
    let mismatches = 0;
    for (let i = 0; i < 65536; i++) if (out[i] !== i * 65536) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('widens known values', () => {
    expect(Array.from(bf16ToF32(Uint16Array.from([0x3f80, 0xc0a0, 0x0001, 0xff80])))).toEqual([1, -5, 2 ** -133, -Infinity]);
  });
});
