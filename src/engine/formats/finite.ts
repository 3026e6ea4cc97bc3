// NaN and ±Inf in stored weights: found in the one pass that already reads or widens each tensor,
// and reported with the tensor, the first offending element and its value (issue #19: a model with
// NaN weights otherwise runs and prints "NaN%" probabilities).

const SCAN_BLOCK = 4096;

/**
 * Index of the first NaN or ±Inf in `a`, or −1. Branch-free per element: x·0 is ±0 for every finite
 * x and NaN otherwise, so a block's sum of x·0 is non-zero exactly when the block holds one; only
 * such a block is searched element by element (measured faster than a per-element bit test).
 */
export function firstNonFiniteF32(a: Float32Array): number {
  for (let start = 0; start < a.length; start += SCAN_BLOCK) {
    const end = Math.min(start + SCAN_BLOCK, a.length);
    let acc = 0;
    for (let i = start; i < end; i++) acc += a[i]! * 0;
    if (acc !== 0) {
      for (let i = start; i < end; i++) {
        const v = a[i]!;
        if (v - v !== 0) return i;
      }
    }
  }
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
