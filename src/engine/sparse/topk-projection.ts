// The weight-sparsity projection of Gao et al. 2025 ("Weight-sparse transformers have interpretable
// circuits"): after each optimizer step every sparsified matrix keeps only its largest-magnitude
// entries, at one nonzero fraction, and every neuron/channel keeps at least `floor` of its own so
// none is cut off entirely.
//
// The count a matrix keeps is declared before its values are looked at (keptCount), and the mask
// holds exactly that many ones however many magnitudes tie: ties are broken by the lower flat index,
// so the same matrix always gives the same mask (a resumed run must repeat an uninterrupted one).
// Pure and host-side (Float32Array in, mask out): O(n) per matrix by selection, not a full sort.

/** Which lines of a [rows, cols] matrix are the neurons/channels the floor protects. */
export type FloorAxis = 'rows' | 'columns';

export interface MatrixProjection {
  rows: number;
  cols: number;
  /** Nonzero fraction in (0, 1]. */
  fraction: number;
  /** Entries each row (or column) keeps at least, whatever its magnitudes. */
  floor: number;
  floorAxis: FloorAxis;
}

/** The number of entries a matrix keeps: the fraction's share, raised to what the floor needs. */
export function keptCount(p: MatrixProjection): number {
  const n = p.rows * p.cols;
  const [lines, lineLength] = p.floorAxis === 'rows' ? [p.rows, p.cols] : [p.cols, p.rows];
  const floored = lines * Math.min(Math.max(0, p.floor), lineLength);
  return Math.min(n, Math.max(Math.round(p.fraction * n), floored));
}

/** |x|, with NaN ranked below every number (it is never kept ahead of one). */
function magnitude(x: number): number {
  return Number.isNaN(x) ? -1 : Math.abs(x);
}

/** True when entry a ranks ahead of entry b: larger magnitude, then lower index. */
function ahead(magA: number, a: number, magB: number, b: number): boolean {
  return magA > magB || (magA === magB && a < b);
}

/**
 * Marks in `mask` the top `take` entries of each line (by magnitude, lower index first on ties).
 * Lines are short sides of small matrices or take is small (the floor), so an insertion list is enough.
 */
function markLineFloors(values: Float32Array, p: MatrixProjection, mask: Uint8Array): number {
  const { rows, cols } = p;
  const byRow = p.floorAxis === 'rows';
  const lines = byRow ? rows : cols;
  const length = byRow ? cols : rows;
  const take = Math.min(Math.max(0, p.floor), length);
  if (take === 0) return 0;
  const best = new Int32Array(take);
  const bestMag = new Float64Array(take);
  for (let line = 0; line < lines; line++) {
    let filled = 0;
    for (let t = 0; t < length; t++) {
      const idx = byRow ? line * cols + t : t * cols + line;
      const mag = magnitude(values[idx]!);
      if (filled === take && !ahead(mag, idx, bestMag[take - 1]!, best[take - 1]!)) continue;
      let pos = filled < take ? filled++ : take - 1;
      while (pos > 0 && ahead(mag, idx, bestMag[pos - 1]!, best[pos - 1]!)) {
        best[pos] = best[pos - 1]!;
        bestMag[pos] = bestMag[pos - 1]!;
        pos--;
      }
      best[pos] = idx;
      bestMag[pos] = mag;
    }
    for (let i = 0; i < take; i++) mask[best[i]!] = 1;
  }
  return lines * take;
}

/** The k-th largest value of `a` (1-based), by three-way quickselect; reorders `a`. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let want = k - 1; // index in descending order
  for (;;) {
    if (lo === hi) return a[lo]!;
    const pivot = median3(a[lo]!, a[(lo + hi) >>> 1]!, a[hi]!);
    // Partition [lo, hi] into > pivot | == pivot | < pivot.
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i]!;
      if (v > pivot) {
        a[i] = a[lt]!;
        a[lt++] = v;
        i++;
      } else if (v < pivot) {
        a[i] = a[gt]!;
        a[gt--] = v;
      } else i++;
    }
    if (want < lt - lo) hi = lt - 1;
    else if (want <= gt - lo) return pivot;
    else {
      want -= gt + 1 - lo;
      lo = gt + 1;
    }
  }
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}

/**
 * The kept entries of one matrix (row-major [rows, cols]): the floor's top entries of every line,
 * then the largest of the rest until keptCount(p) are kept. Returns the mask (1 = kept).
 */
export function topKMask(values: Float32Array, p: MatrixProjection): Uint8Array {
  const n = p.rows * p.cols;
  if (values.length !== n) throw new Error(`topKMask: ${values.length} values for a ${p.rows}×${p.cols} matrix`);
  const k = keptCount(p);
  const mask = new Uint8Array(n);
  if (k === n) return mask.fill(1);
  const forced = markLineFloors(values, p, mask);
  const remaining = k - forced;
  if (remaining <= 0) return mask;
  const candidates = new Float64Array(n - forced);
  let c = 0;
  for (let i = 0; i < n; i++) if (mask[i] === 0) candidates[c++] = magnitude(values[i]!);
  const threshold = kthLargest(candidates, remaining);
  // Everything above the threshold, then entries equal to it in index order until the count is met.
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0 && magnitude(values[i]!) > threshold) {
      mask[i] = 1;
      kept++;
    }
  }
  for (let i = 0; i < n && kept < remaining; i++) {
    if (mask[i] === 0 && magnitude(values[i]!) === threshold) {
      mask[i] = 1;
      kept++;
    }
  }
  return mask;
}

/** Zeroes the entries the projection drops, in place; returns how many it keeps. */
export function projectTopK(values: Float32Array, p: MatrixProjection): number {
  const mask = topKMask(values, p);
  let kept = 0;
  for (let i = 0; i < values.length; i++) {
    if (mask[i] === 1) kept++;
    else values[i] = 0;
  }
  return kept;
}
