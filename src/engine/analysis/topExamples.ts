// Per-feature top-k of window peaks, kept in flat typed arrays (one bounded min-heap per feature),
// so memory is features × k entries whatever the corpus size.
//
// An entry is (activation, window id, position): the feature's peak in one window. Keeping one
// entry per window (not per token) stops a feature that fires on a long run of tokens from
// filling its top examples with the same context shown k times (Neuronpedia also ranks
// sequences by their max). Order: higher activation first, then the earlier window, in whatever
// order windows arrive.

export interface TopEntry {
  act: number;
  window: number;
  pos: number;
}

export class FeatureTopK {
  private readonly acts: Float32Array;
  private readonly windows: Uint32Array;
  private readonly positions: Uint32Array;
  private readonly sizes: Uint32Array;

  constructor(
    readonly features: number,
    readonly k: number,
  ) {
    this.acts = new Float32Array(features * k);
    this.windows = new Uint32Array(features * k);
    this.positions = new Uint32Array(features * k);
    this.sizes = new Uint32Array(features);
  }

  size(feature: number): number {
    return this.sizes[feature]!;
  }

  /** Largest heap size over all features (tests check it never passes k). */
  largestSize(): number {
    let m = 0;
    for (const s of this.sizes) if (s > m) m = s;
    return m;
  }

  /** Offers the peak of `feature` in `window`; returns whether it was kept. */
  offer(feature: number, act: number, window: number, pos: number): boolean {
    const base = feature * this.k;
    const n = this.sizes[feature]!;
    if (n < this.k) {
      this.acts[base + n] = act;
      this.windows[base + n] = window;
      this.positions[base + n] = pos;
      this.sizes[feature] = n + 1;
      this.siftUp(base, n);
      return true;
    }
    // Root = the worst kept entry; on equal activation the earlier window wins, whichever arrived
    // first (analysis offers windows in order; a prompt scan offers prompts sorted by length).
    const root = this.acts[base]!;
    if (!(act > root || (act === root && window < this.windows[base]!))) return false;
    this.acts[base] = act;
    this.windows[base] = window;
    this.positions[base] = pos;
    this.siftDown(base, n);
    return true;
  }

  /** The kept entries, best first. */
  entries(feature: number): TopEntry[] {
    const base = feature * this.k;
    const out: TopEntry[] = [];
    for (let i = 0; i < this.sizes[feature]!; i++) {
      out.push({ act: this.acts[base + i]!, window: this.windows[base + i]!, pos: this.positions[base + i]! });
    }
    return out.sort((a, b) => b.act - a.act || a.window - b.window);
  }

  /** a is worse than b: lower activation, or the same activation in a later window. */
  private worse(a: number, b: number): boolean {
    const x = this.acts[a]!;
    const y = this.acts[b]!;
    return x < y || (x === y && this.windows[a]! > this.windows[b]!);
  }

  private swap(a: number, b: number): void {
    const act = this.acts[a]!;
    const win = this.windows[a]!;
    const pos = this.positions[a]!;
    this.acts[a] = this.acts[b]!;
    this.windows[a] = this.windows[b]!;
    this.positions[a] = this.positions[b]!;
    this.acts[b] = act;
    this.windows[b] = win;
    this.positions[b] = pos;
  }

  private siftUp(base: number, i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(base + i, base + parent)) return;
      this.swap(base + i, base + parent);
      i = parent;
    }
  }

  private siftDown(base: number, n: number): void {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < n && this.worse(base + l, base + worst)) worst = l;
      if (r < n && this.worse(base + r, base + worst)) worst = r;
      if (worst === i) return;
      this.swap(base + i, base + worst);
      i = worst;
    }
  }
}
