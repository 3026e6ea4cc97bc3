// Quantile samples in one streaming pass: for each feature, a uniform random sample of the windows
// whose peak falls in each of B equal-width activation buckets between 0 and the feature's max.
//
// The bucket edges need the max, which is only known at the end. Fixing edges from a first chunk
// would be wrong for features that grow later (or first fire later), and a second model pass over
// the whole corpus doubles the cost. Instead every event gets a seeded random key, and a uniform
// sample of s items from any set is "the s smallest keys in it" (bottom-s sampling). Bottom-s
// sets merge exactly: the bottom-s of A ∪ B is the bottom-s of (bottom-s(A) ∪ bottom-s(B)).
// So each feature keeps a bottom-s set per fine bin of a linear grid [0, R) with F bins, where
// R = the smallest power of two above the running max; when the max passes R, R doubles and
// neighbouring bins merge pairwise, exactly. At the end the B buckets are runs of fine bins
// covering [0, max]; each bucket's sample is the bottom-s of its bins' sets: an exact uniform
// sample of the bucket, and the result does not depend on the order events arrived in.
// The price: bucket edges sit on the fine grid, at most one fine bin (R/F < 2·max/F) away from
// j·max/B; with F = 4·B that is under half a bucket width, and the stored examples carry their
// own activations, so nothing shown is wrong, only the bucket boundaries are rounded.
// Memory: features × F × s slots, independent of the corpus size.

const UNSET = -10_000;

export interface SampledEntry {
  act: number;
  window: number;
  pos: number;
  key: number;
}

/** Seeded 32-bit key of (window, feature): murmur3's finalizer over a combined word. */
export function sampleKey(window: number, feature: number, seed: number): number {
  let h = (Math.imul(window, 0x9e3779b1) ^ Math.imul(feature + 1, 0x85ebca77) ^ seed) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Key order: smaller key first, the earlier window breaking ties. */
function before(keyA: number, winA: number, keyB: number, winB: number): boolean {
  return keyA < keyB || (keyA === keyB && winA < winB);
}

export class BucketSampler {
  /** Fine bins per feature (even, ≥ 2·buckets so every bucket gets at least one). */
  readonly fineBins: number;
  /** log2 of R per feature; UNSET until the feature first fires. */
  private readonly scaleExp: Int16Array;
  private readonly fill: Uint8Array;
  private readonly keys: Uint32Array;
  private readonly acts: Float32Array;
  private readonly windows: Uint32Array;
  private readonly positions: Uint32Array;

  constructor(
    readonly features: number,
    readonly buckets: number,
    readonly perBucket: number,
    readonly seed: number,
    fineBinsPerBucket = 4,
  ) {
    if (perBucket > 255) throw new RangeError('perBucket must be at most 255');
    this.fineBins = 2 * Math.max(1, Math.ceil((fineBinsPerBucket * buckets) / 2));
    const slots = features * this.fineBins * perBucket;
    this.scaleExp = new Int16Array(features).fill(UNSET);
    this.fill = new Uint8Array(features * this.fineBins);
    this.keys = new Uint32Array(slots);
    this.acts = new Float32Array(slots);
    this.windows = new Uint32Array(slots);
    this.positions = new Uint32Array(slots);
  }

  /** Offers the peak (act > 0) of `feature` in `window`. */
  offer(feature: number, act: number, window: number, pos: number): void {
    if (this.perBucket === 0) return;
    let e = this.scaleExp[feature]!;
    if (e === UNSET) {
      e = Math.floor(Math.log2(act)) + 1;
      while (2 ** (e - 1) > act) e--; // guard log2 rounding
      while (2 ** e <= act) e++;
      this.scaleExp[feature] = e;
    }
    while (2 ** e <= act) {
      this.doubleRange(feature);
      e++;
      this.scaleExp[feature] = e;
    }
    const F = this.fineBins;
    const bin = Math.min(F - 1, Math.floor((act / 2 ** e) * F));
    this.insert(feature * F + bin, sampleKey(window, feature, this.seed), act, window, pos);
  }

  /**
   * Bucket b of `feature` (whose max activation is `maxAct`): up to perBucket entries, highest
   * activation first, for b = 0 … buckets−1. Empty for a feature that never fired.
   */
  samples(feature: number, maxAct: number): SampledEntry[][] {
    const out: SampledEntry[][] = Array.from({ length: this.buckets }, () => []);
    const e = this.scaleExp[feature]!;
    if (e === UNSET || !(maxAct > 0)) return out;
    const F = this.fineBins;
    // Fine bins up to and including the max's: R/2 ≤ max < R, so used ≥ F/2 + 1 > buckets.
    const used = Math.min(F, Math.floor((maxAct / 2 ** e) * F) + 1);
    for (let b = 0; b < this.buckets; b++) {
      const from = Math.floor((b * used) / this.buckets);
      const to = Math.floor(((b + 1) * used) / this.buckets);
      const pool: SampledEntry[] = [];
      for (let bin = from; bin < to; bin++) {
        const cell = feature * F + bin;
        for (let s = 0; s < this.fill[cell]!; s++) {
          const slot = cell * this.perBucket + s;
          pool.push({ act: this.acts[slot]!, window: this.windows[slot]!, pos: this.positions[slot]!, key: this.keys[slot]! });
        }
      }
      pool.sort((a, b) => (before(a.key, a.window, b.key, b.window) ? -1 : 1));
      out[b] = pool.slice(0, this.perBucket).sort((a, b) => b.act - a.act || a.window - b.window);
    }
    return out;
  }

  /** Fine-bin edges of bucket b for a feature, in activation units (for tests and display). */
  bucketRange(feature: number, maxAct: number, b: number): [number, number] | null {
    const e = this.scaleExp[feature]!;
    if (e === UNSET) return null;
    const F = this.fineBins;
    const width = 2 ** e / F;
    const used = Math.min(F, Math.floor(maxAct / width) + 1);
    return [Math.floor((b * used) / this.buckets) * width, Math.floor(((b + 1) * used) / this.buckets) * width];
  }

  /** The power-of-two range R of a feature (2^e), or null before it fires. */
  range(feature: number): number | null {
    const e = this.scaleExp[feature]!;
    return e === UNSET ? null : 2 ** e;
  }

  private insert(cell: number, key: number, act: number, window: number, pos: number): void {
    const n = this.fill[cell]!;
    const base = cell * this.perBucket;
    if (n < this.perBucket) {
      this.write(base + n, key, act, window, pos);
      this.fill[cell] = n + 1;
      return;
    }
    let worst = base;
    for (let s = base + 1; s < base + n; s++) {
      if (before(this.keys[worst]!, this.windows[worst]!, this.keys[s]!, this.windows[s]!)) worst = s;
    }
    if (before(key, window, this.keys[worst]!, this.windows[worst]!)) this.write(worst, key, act, window, pos);
  }

  private write(slot: number, key: number, act: number, window: number, pos: number): void {
    this.keys[slot] = key;
    this.acts[slot] = act;
    this.windows[slot] = window;
    this.positions[slot] = pos;
  }

  /** R → 2R: new bin j = bottom-s of old bins 2j and 2j+1; the upper half starts empty. */
  private doubleRange(feature: number): void {
    const F = this.fineBins;
    const s = this.perBucket;
    const first = feature * F;
    const pool: SampledEntry[] = [];
    for (let j = 0; j < F / 2; j++) {
      pool.length = 0;
      for (const old of [first + 2 * j, first + 2 * j + 1]) {
        for (let t = 0; t < this.fill[old]!; t++) {
          const slot = old * s + t;
          pool.push({ key: this.keys[slot]!, act: this.acts[slot]!, window: this.windows[slot]!, pos: this.positions[slot]! });
        }
      }
      pool.sort((a, b) => (before(a.key, a.window, b.key, b.window) ? -1 : 1));
      const keep = Math.min(s, pool.length);
      const cell = first + j;
      for (let t = 0; t < keep; t++) {
        const p = pool[t]!;
        this.write(cell * s + t, p.key, p.act, p.window, p.pos);
      }
      this.fill[cell] = keep;
    }
    for (let j = F / 2; j < F; j++) this.fill[first + j] = 0;
  }
}
