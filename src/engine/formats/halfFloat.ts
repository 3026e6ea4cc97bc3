// Exact widening of IEEE half (F16) and bfloat16 (BF16) to float32.
//
// Every F16 and BF16 value is exactly representable in f32, so widening is a bit operation:
// BF16 is the top half of an f32; F16 goes through a 65,536-entry table built once from the
// bit layout (sign | 5-bit exponent | 10-bit mantissa), which also keeps NaN payloads, signed
// zeros, infinities and subnormals exact.

let f16Table: Uint32Array | undefined;

function f16ToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0x1f) {
    // inf (mantissa 0) or NaN (payload moved to the top of the f32 mantissa)
    return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  }
  if (exponent !== 0) {
    // normal: rebias exponent 15 → 127
    return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  }
  if (mantissa === 0) return sign >>> 0; // ±0
  // subnormal: value = mantissa · 2^-24; normalise so the leading 1 becomes implicit
  let e = -14;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    e--;
  }
  mantissa &= 0x3ff;
  return (sign | ((e + 127) << 23) | (mantissa << 13)) >>> 0;
}

function table(): Uint32Array {
  if (f16Table === undefined) {
    const t = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) t[h] = f16ToF32Bits(h);
    f16Table = t;
  }
  return f16Table;
}

/** F16 bit patterns → f32 values, exactly. */
export function f16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const t = table();
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) outBits[i] = t[src[i]!]!;
  return out;
}

/** BF16 bit patterns → f32 values, exactly (a bf16 is the high 16 bits of an f32). */
export function bf16ToF32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) outBits[i] = src[i]! << 16;
  return out;
}

/** One F16 bit pattern → its value (for tests and scalars). */
export function f16BitsToNumber(h: number): number {
  const bits = new Uint32Array([f16ToF32Bits(h & 0xffff)]);
  return new Float32Array(bits.buffer)[0]!;
}

/**
 * f16ToF32 that also refuses NaN and ±Inf in the same pass: returns the index of the first
 * non-finite element (where it stopped, `out` filled only up to it), or −1 when all are finite.
 * An F16 is non-finite exactly when its 5 exponent bits are all ones.
 */
export function f16ToF32Finite(src: Uint16Array, out: Float32Array): number {
  const t = table();
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    if ((h & 0x7c00) === 0x7c00) return i;
    outBits[i] = t[h]!;
  }
  return -1;
}

/** bf16ToF32 with the same single-pass refusal (a BF16 is an f32's top half: 8 exponent bits). */
export function bf16ToF32Finite(src: Uint16Array, out: Float32Array): number {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    if ((h & 0x7f80) === 0x7f80) return i;
    outBits[i] = h << 16;
  }
  return -1;
}
