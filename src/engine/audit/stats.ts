// Paired significance per unit: the paired t-test (two-sided p from Student's t through the
// regularised incomplete beta function) and Benjamini–Hochberg q-values over all units tested.

/** ln Γ(x), Lanczos (g = 7, n = 9); accurate to ~1e-15 for x > 0. */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** I_x(a, b), the regularised incomplete beta function. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export interface PairedTest {
  /** Mean of b − a over pairs. */
  meanDiff: number;
  /** Standard deviation of the differences (n − 1). */
  sdDiff: number;
  t: number;
  p: number;
  /** Cohen's d with the pooled standard deviation of both sides: the effect on the unit's own scale. */
  cohenD: number;
}

/** Paired t-test of b against a (same length ≥ 2). Differences that are all equal give p = 0 when non-zero, 1 when zero. */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTest {
  const n = a.length;
  let sumD = 0;
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < n; i++) {
    sumD += (b[i] as number) - (a[i] as number);
    sumA += a[i] as number;
    sumB += b[i] as number;
  }
  const meanDiff = sumD / n;
  const meanA = sumA / n;
  const meanB = sumB / n;
  let ssD = 0;
  let ssA = 0;
  let ssB = 0;
  for (let i = 0; i < n; i++) {
    ssD += ((b[i] as number) - (a[i] as number) - meanDiff) ** 2;
    ssA += ((a[i] as number) - meanA) ** 2;
    ssB += ((b[i] as number) - meanB) ** 2;
  }
  const sdDiff = Math.sqrt(ssD / (n - 1));
  const pooled = Math.sqrt((ssA + ssB) / (2 * n - 2));
  // Relative floor: float noise in a difference that is constant in exact arithmetic is not variance.
  const floor = 1e-12 * Math.max(1, Math.abs(meanDiff));
  const t = sdDiff <= floor ? (Math.abs(meanDiff) <= floor ? 0 : Math.sign(meanDiff) * Infinity) : meanDiff / (sdDiff / Math.sqrt(n));
  const p = t === 0 && Math.abs(meanDiff) <= floor ? 1 : studentTwoSidedP(t, n - 1);
  const cohenD = pooled <= floor ? (Math.abs(meanDiff) <= floor ? 0 : Math.sign(meanDiff) * Infinity) : meanDiff / pooled;
  return { meanDiff, sdDiff, t, p, cohenD };
}

/** Benjamini–Hochberg q-values, in the order of `p`. */
export function benjaminiHochberg(p: ArrayLike<number>): Float64Array {
  const m = p.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => (p[i] as number) - (p[j] as number));
  const q = new Float64Array(m);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const i = order[k] as number;
    running = Math.min(running, ((p[i] as number) * m) / (k + 1));
    q[i] = running;
  }
  return q;
}
