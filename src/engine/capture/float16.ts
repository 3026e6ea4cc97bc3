// f32 → IEEE half (F16) narrowing with round-to-nearest-even, the rounding numpy's astype(float16)
// and torch's .half() use. The inverse (exact widening) is formats/halfFloat.ts.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** F16 bit pattern nearest to `bits` (an f32 bit pattern); ties go to the even pattern. */
export function f32BitsToF16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 | (mantissa >>> 13) : 0); // inf, quiet NaN
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00; // too large: ±inf
  if (e <= 0) {
    // F16 subnormal m·2⁻²⁴: m = (1.mantissa)·2^(e−14+23−23), i.e. the 24-bit significand shifted right by 14 − e.
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const significand = mantissa | 0x800000;
    const shift = 14 - e;
    let half = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and from the top normal gives inf: both right.
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** Narrows `src` into `out` (F16 bit patterns). */
export function f32ToF16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32BitsToF16Bits(bits[i]!);
  return out;
}

/** One number → its F16 bit pattern. */
export function numberToF16Bits(x: number): number {
  f32[0] = x;
  return f32BitsToF16Bits(u32[0]!);
}
