// L1-regularised logistic regression (the lasso for a binary label), fit along a regularisation
// path with warm starts. Objective, on standardised columns x̃ = (x − mean) / std (population std,
// constant columns left at 0):
//   minimise over b, w:  (1/n) Σ_i [log(1 + e^{z_i}) − y_i z_i] + λ ‖w‖₁,   z_i = b + x̃_i · w
// The intercept is not penalised. Solver: FISTA (accelerated proximal gradient) with a fixed step
// 1/L, L = ‖[1 x̃]‖₂² / (4n), and gradient-based adaptive restart; it stops when the KKT conditions
// hold to `tol`. The path runs from λ_max = ‖x̃ᵀ(y − ȳ)‖∞ / n (where every w is 0) down on a log
// grid, each λ warm-started from the last and solved on its strong-rule column set, with a KKT
// check over every column before a fit is accepted. Float64 throughout; plain JS (a probe's matrix is prompts × width, small next to a model).

import { FeaturescopeError } from '../../shared/errors';

export interface LassoData {
  /** Row-major [n, d]. */
  x: Float64Array;
  n: number;
  d: number;
  /** 0 or 1 per row. */
  y: ArrayLike<number>;
}

export interface LassoPathOptions {
  /** Explicit λ values (sorted high to low before fitting); overrides nLambdas / lambdaMinRatio. */
  lambdas?: number[];
  /** Default 25. */
  nLambdas?: number;
  /** Smallest λ as a fraction of λ_max; default 0.01. */
  lambdaMinRatio?: number;
  /** Default true. With false, x is used as given (already on comparable scales). */
  standardize?: boolean;
  /** Iterations per λ; default 20000. */
  maxIterations?: number;
  /** KKT tolerance on the gradient; default 1e-7. */
  tolerance?: number;
}

export interface LassoFit {
  lambda: number;
  /** In the standardised space the objective is written in. */
  intercept: number;
  coef: Float64Array;
  /** The same model in the units of the raw columns: z = interceptRaw + x · coefRaw. */
  interceptRaw: number;
  coefRaw: Float64Array;
  /** Indices of the non-zero coefficients, largest |coef| first. */
  active: number[];
  objective: number;
  iterations: number;
  converged: boolean;
}

export interface LassoPath {
  lambdaMax: number;
  fits: LassoFit[];
  /** Column means and scales used for standardisation (0 and 1 when standardize is false). */
  mean: Float64Array;
  scale: Float64Array;
}

const DEFAULTS = { nLambdas: 25, lambdaMinRatio: 0.01, maxIterations: 20000, tolerance: 1e-7 };

export function fitLassoPath(data: LassoData, opts: LassoPathOptions = {}): LassoPath {
  checkData(data);
  const { n, d } = data;
  const y = Float64Array.from(data.y);
  const { x, mean, scale } = opts.standardize === false ? { x: data.x, mean: new Float64Array(d), scale: new Float64Array(d).fill(1) } : standardizeColumns(data);
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  if (yMean === 0 || yMean === 1) throw new FeaturescopeError('invalid_input', 'labels: both classes must occur to fit a probe', 'labels');

  // λ_max: the gradient of the loss at w = 0, b = logit(ȳ).
  const g0 = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = (yMean - (y[i] as number)) / n;
    for (let j = 0; j < d; j++) g0[j] = (g0[j] as number) + (x[i * d + j] as number) * r;
  }
  const lambdaMax = g0.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const lambdas = lambdaGrid(opts, lambdaMax);
  const maxIterations = opts.maxIterations ?? DEFAULTS.maxIterations;
  const tolerance = opts.tolerance ?? DEFAULTS.tolerance;

  let b = Math.log(yMean / (1 - yMean));
  let w: Float64Array = new Float64Array(d);
  let gradient: Float64Array = g0; // loss gradient at the previous λ's solution
  let previousLambda = lambdaMax;
  const fits = lambdas.map((lambda) => {
    // At or above λ_max the solution is exactly w = 0 (b = logit ȳ); a solver would leave
    // rounding-sized coefficients behind on the column that sets λ_max.
    const solved =
      lambda >= lambdaMax * (1 - 1e-12)
        ? emptySolution(x, y, n, d, yMean)
        : solveWithStrongRule(x, y, n, d, lambda, previousLambda, gradient, b, w, maxIterations, tolerance);
    b = solved.b;
    w = solved.w;
    gradient = solved.gradient;
    previousLambda = lambda;
    return toFit(lambda, solved, mean, scale, d);
  });
  return { lambdaMax, fits, mean, scale };
}

/** P(y = 1 | x) for one raw row. */
export function predictProbability(fit: LassoFit, row: ArrayLike<number>): number {
  let z = fit.interceptRaw;
  for (let j = 0; j < fit.coefRaw.length; j++) z += (fit.coefRaw[j] as number) * (row[j] as number);
  return 1 / (1 + Math.exp(-z));
}

/** Fraction of rows (row-major [n, d]) whose thresholded prediction equals the label. */
export function accuracy(fit: LassoFit, x: Float64Array, y: ArrayLike<number>, d: number): number {
  const n = y.length;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const p = predictProbability(fit, x.subarray(i * d, (i + 1) * d));
    if ((p >= 0.5 ? 1 : 0) === y[i]) right++;
  }
  return n === 0 ? NaN : right / n;
}

function checkData(data: LassoData): void {
  const { n, d } = data;
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(d) || d < 1) throw new FeaturescopeError('invalid_input', `x: needs at least 2 rows and 1 column, got [${n}, ${d}]`, 'x');
  if (data.x.length !== n * d) throw new FeaturescopeError('invalid_input', `x: has ${data.x.length} values, expected ${n}×${d}`, 'x');
  if (data.y.length !== n) throw new FeaturescopeError('invalid_input', `labels: ${data.y.length} labels for ${n} rows`, 'labels');
  for (let i = 0; i < n; i++) if (data.y[i] !== 0 && data.y[i] !== 1) throw new FeaturescopeError('invalid_input', `labels.${i}: must be 0 or 1`, `labels.${i}`);
  for (const v of data.x) if (!Number.isFinite(v)) throw new FeaturescopeError('invalid_input', 'x: contains a non-finite value', 'x');
}

function standardizeColumns(data: LassoData): { x: Float64Array; mean: Float64Array; scale: Float64Array } {
  const { n, d } = data;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (data.x[i * d + j] as number) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = (data.x[i * d + j] as number) - (mean[j] as number);
      scale[j] = (scale[j] as number) + (c * c) / n;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(scale[j] as number);
    // A constant column carries no information: scale 1 keeps its centred values (≈ 0) at 0.
    scale[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j] as number)) ? s : 1;
  }
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = ((data.x[i * d + j] as number) - (mean[j] as number)) / (scale[j] as number);
  }
  return { x, mean, scale };
}

function lambdaGrid(opts: LassoPathOptions, lambdaMax: number): number[] {
  if (opts.lambdas !== undefined) {
    if (opts.lambdas.length === 0 || opts.lambdas.some((l) => !Number.isFinite(l) || l <= 0)) {
      throw new FeaturescopeError('invalid_input', 'lambdas: must be positive finite numbers', 'lambdas');
    }
    return [...opts.lambdas].sort((a, b) => b - a);
  }
  const count = opts.nLambdas ?? DEFAULTS.nLambdas;
  const ratio = opts.lambdaMinRatio ?? DEFAULTS.lambdaMinRatio;
  if (!Number.isInteger(count) || count < 1) throw new FeaturescopeError('invalid_input', 'nLambdas: must be a positive integer', 'nLambdas');
  if (!(ratio > 0 && ratio < 1)) throw new FeaturescopeError('invalid_input', 'lambdaMinRatio: must be in (0, 1)', 'lambdaMinRatio');
  const top = lambdaMax > 0 ? lambdaMax : 1;
  return Array.from({ length: count }, (_, k) => top * ratio ** (count === 1 ? 0 : k / (count - 1)));
}

/** ‖x‖₂² by power iteration on xᵀx. */
function spectralNormSquared(x: Float64Array, n: number, d: number): number {
  let v = new Float64Array(d).fill(1 / Math.sqrt(d));
  let value = 0;
  for (let it = 0; it < 200; it++) {
    const xv = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] as number) * (v[j] as number);
      xv[i] = s;
    }
    const next = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) next[j] = (next[j] as number) + (x[i * d + j] as number) * (xv[i] as number);
    const norm = Math.hypot(...next);
    if (norm === 0) return 0;
    const converged = Math.abs(norm - value) <= 1e-10 * norm;
    value = norm;
    v = next.map((t) => t / norm);
    if (converged) break;
  }
  return value * 1.01; // a little headroom: a step slightly short of 1/L is still safe
}

interface Solved {
  b: number;
  w: Float64Array;
  objective: number;
  iterations: number;
  converged: boolean;
  /** Loss gradient at (b, w), over the columns the solver saw. */
  gradient: Float64Array;
}

/** Loss value and gradient (intercept, weights) at (b, w). */
function lossAndGradient(x: Float64Array, y: Float64Array, n: number, d: number, b: number, w: Float64Array, grad: Float64Array): { loss: number; gb: number } {
  grad.fill(0);
  let loss = 0;
  let gb = 0;
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let j = 0; j < d; j++) z += (x[i * d + j] as number) * (w[j] as number);
    // log(1 + e^z) without overflow
    loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - (y[i] as number) * z;
    const r = (1 / (1 + Math.exp(-z)) - (y[i] as number)) / n;
    gb += r;
    for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + (x[i * d + j] as number) * r;
  }
  return { loss: loss / n, gb };
}

/** Largest violation of the lasso's optimality conditions at (b, w). */
function kktViolation(gb: number, grad: Float64Array, w: Float64Array, lambda: number): number {
  let worst = Math.abs(gb);
  for (let j = 0; j < w.length; j++) {
    const g = grad[j] as number;
    const wj = w[j] as number;
    worst = Math.max(worst, wj === 0 ? Math.max(0, Math.abs(g) - lambda) : Math.abs(g + lambda * Math.sign(wj)));
  }
  return worst;
}

/**
 * Sequential strong rule (Tibshirani et al. 2012): only columns with |g_j| ≥ 2λ − λ_prev at the
 * previous solution (plus those already non-zero) enter the solver; the KKT conditions over all
 * columns are then checked and any violator is added before solving again. Solving on a few
 * dozen columns instead of hundreds is what keeps a probe over d_mlp or d_sae fast.
 */
function solveWithStrongRule(
  x: Float64Array,
  y: Float64Array,
  n: number,
  d: number,
  lambda: number,
  previousLambda: number,
  previousGradient: Float64Array,
  b0: number,
  w0: Float64Array,
  maxIterations: number,
  tol: number,
): Solved {
  const inSet = new Uint8Array(d);
  for (let j = 0; j < d; j++) {
    if (w0[j] !== 0 || Math.abs(previousGradient[j] as number) >= 2 * lambda - previousLambda) inSet[j] = 1;
  }
  let b = b0;
  const w = Float64Array.from(w0);
  let iterations = 0;
  for (;;) {
    const cols = Array.from({ length: d }, (_, j) => j).filter((j) => inSet[j] === 1);
    const k = cols.length;
    const xs = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) xs[i * k + c] = x[i * d + (cols[c] as number)] as number;
    const lipschitz = Math.max(n, spectralNormSquared(xs, n, k)) / (4 * n);
    const sub = fista(xs, y, n, k, lambda, b, Float64Array.from(cols, (j) => w[j] as number), lipschitz, maxIterations - iterations, tol);
    iterations += sub.iterations;
    b = sub.b;
    w.fill(0);
    cols.forEach((j, c) => {
      w[j] = sub.w[c] as number;
    });
    const gradient = new Float64Array(d);
    const { loss, gb } = lossAndGradient(x, y, n, d, b, w, gradient);
    let added = 0;
    for (let j = 0; j < d; j++) {
      if (inSet[j] === 0 && Math.abs(gradient[j] as number) > lambda + tol) {
        inSet[j] = 1;
        added++;
      }
    }
    if (added === 0 || iterations >= maxIterations) {
      const converged = added === 0 && kktViolation(gb, gradient, w, lambda) <= tol;
      return { b, w, objective: loss + lambda * l1(w), iterations, converged, gradient };
    }
  }
}

function fista(x: Float64Array, y: Float64Array, n: number, d: number, lambda: number, b0: number, w0: Float64Array, lipschitz: number, maxIterations: number, tol: number): Solved {
  const step = 1 / lipschitz;
  let b = b0;
  let w = Float64Array.from(w0);
  let vb = b; // the extrapolated point
  let vw = Float64Array.from(w);
  let t = 1;
  const grad = new Float64Array(d);
  for (let it = 1; it <= maxIterations; it++) {
    const { gb } = lossAndGradient(x, y, n, d, vb, vw, grad);
    const nb = vb - step * gb;
    const nw = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const u = (vw[j] as number) - step * (grad[j] as number);
      nw[j] = Math.sign(u) * Math.max(0, Math.abs(u) - step * lambda);
    }
    // Adaptive restart (O'Donoghue & Candès): drop momentum when it points uphill.
    let uphill = (vb - nb) * (nb - b);
    for (let j = 0; j < d; j++) uphill += ((vw[j] as number) - (nw[j] as number)) * ((nw[j] as number) - (w[j] as number));
    const tNext = uphill > 0 ? 1 : (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const momentum = uphill > 0 ? 0 : (t - 1) / tNext;
    vb = nb + momentum * (nb - b);
    for (let j = 0; j < d; j++) vw[j] = (nw[j] as number) + momentum * ((nw[j] as number) - (w[j] as number));
    b = nb;
    w = nw;
    t = tNext;
    if (it % 10 === 0 || it === maxIterations) {
      const { loss, gb: g } = lossAndGradient(x, y, n, d, b, w, grad);
      if (kktViolation(g, grad, w, lambda) <= tol) return { b, w, objective: loss + lambda * l1(w), iterations: it, converged: true, gradient: grad };
      if (it === maxIterations) return { b, w, objective: loss + lambda * l1(w), iterations: it, converged: false, gradient: grad };
    }
  }
  const { loss } = lossAndGradient(x, y, n, d, b, w, grad);
  return { b, w, objective: loss + lambda * l1(w), iterations: Math.max(0, maxIterations), converged: false, gradient: grad };
}

/** All weights zero (λ ≥ λ_max): the objective is the intercept-only loss, the L1 term is 0. */
function emptySolution(x: Float64Array, y: Float64Array, n: number, d: number, yMean: number): Solved {
  const b = Math.log(yMean / (1 - yMean));
  const w = new Float64Array(d);
  const gradient = new Float64Array(d);
  const { loss } = lossAndGradient(x, y, n, d, b, w, gradient);
  return { b, w, objective: loss, iterations: 0, converged: true, gradient };
}

function l1(w: Float64Array): number {
  let s = 0;
  for (const v of w) s += Math.abs(v);
  return s;
}

function toFit(lambda: number, s: Solved, mean: Float64Array, scale: Float64Array, d: number): LassoFit {
  const coefRaw = new Float64Array(d);
  let interceptRaw = s.b;
  for (let j = 0; j < d; j++) {
    const c = (s.w[j] as number) / (scale[j] as number);
    coefRaw[j] = c;
    interceptRaw -= c * (mean[j] as number);
  }
  const active = Array.from({ length: d }, (_, j) => j)
    .filter((j) => s.w[j] !== 0)
    .sort((a, bb) => Math.abs(s.w[bb] as number) - Math.abs(s.w[a] as number));
  return { lambda, intercept: s.b, coef: s.w, interceptRaw, coefRaw, active, objective: s.objective, iterations: s.iterations, converged: s.converged };
}
