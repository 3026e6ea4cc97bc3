// NaN and ±Inf in stored weights: found in the one pass that already reads or widens each tensor,
// and reported with the tensor, the first offending element and its value (issue #19: a model with
// NaN weights otherwise runs and prints "NaN%" probabilities).

/** Index of the first NaN or ±Inf in `a`, or −1: an f32 is non-finite when its 8 exponent bits are all ones. */
export function firstNonFiniteF32(a: Float32Array): number {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

/**
 * F64 → f32, rounding to nearest, and stopping at the first element that is non-finite after
 * rounding (NaN, ±Inf, or a finite f64 beyond f32's range). Returns its index or −1.
 */
export function f64ToF32Finite(src: Float64Array, out: Float32Array): number {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) {
    out[i] = src[i]!;
    if ((outBits[i]! & 0x7f800000) === 0x7f800000) return i;
  }
  return -1;
}

/** "NaN", "+Inf" or "−Inf" (for a value that rounded to Inf, say so). */
export function describeNonFinite(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '−Inf';
  return `${value} (beyond float32's range, so Inf)`;
}

/** Flat C-order index → "[i, j, k]" in `shape`. */
export function multiIndex(flat: number, shape: readonly number[]): string {
  const out: number[] = new Array<number>(shape.length).fill(0);
  let rest = flat;
  for (let a = shape.length - 1; a >= 0; a--) {
    const d = shape[a]!;
    if (d === 0) break;
    out[a] = rest % d;
    rest = Math.floor(rest / d);
  }
  return `[${out.join(', ')}]`;
}

/** The sentence every refusal uses: which tensor (`what`, e.g. 'tensor "wte.weight"'), which element, what value. */
export function nonFiniteMessage(what: string, flat: number, shape: readonly number[], value: number): string {
  return `${what} holds ${describeNonFinite(value)} at element ${multiIndex(flat, shape)} (flat index ${flat}); weights must be finite numbers`;
}
