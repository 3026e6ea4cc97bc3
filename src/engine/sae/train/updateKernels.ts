// Dense per-step updates of SAE training as single passes: the Adam step, removing the gradient
// component along each decoder row, and renormalising decoder rows. On [16384, 512] tensors each
// of these was 3-12 tfjs ops, each reading and writing 32 MB (Adam alone ~1-3 s per step for the
// two weight matrices on a loaded 2-core machine); as wasm kernels each is one loop.
//
// Kernels: JS loops over tfjs-wasm's heap (sparse/rangeLoops.ts, split across cores by
// sparse/kernelThreads.ts), registered for 'wasm'. Fallbacks: the same formulas
// in tfjs ops, for every other backend. test/unit/sae/updateKernels.test.ts holds them together.
// Outputs are new tensors (never writes into inputs), so tfjs's immutability holds.
import * as tf from '@tensorflow/tfjs';
import { at, f32, heapOf, input } from '../sparse/heap';
import { runRanges } from '../sparse/kernelThreads';
import { registerForWasm, useKernel } from '../sparse/kernelChoice';

const NAMES = {
  adam: 'FeaturescopeAdamStep',
  projectOut: 'FeaturescopeProjectOutRows',
  normalize: 'FeaturescopeNormalizeRows',
} as const;

/** Row norms below this are treated as this (matches the fallback's tf.maximum). */
const MIN_NORM = 1e-12;

export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  /** lr with bias correction folded in: lr·√(1−β2ᵗ)/(1−β1ᵗ). */
  stepSize: number;
  /** eps·√(1−β2ᵗ), the matching epsilon. */
  epsHat: number;
}

export interface AdamStepResult {
  p: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
}

/**
 * One Adam update: m' = β1m + (1−β1)g, v' = β2v + (1−β2)g², p' = p − stepSize·m'/(√v' + epsHat).
 * With `gradTransposed`, g is the transpose of p's shape ([C, R] for a [R, C] parameter), so a
 * gradient computed row-per-latent needs no separate transpose.
 */
export function adamStep(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamStepAttrs, gradTransposed = false): AdamStepResult {
  const expected = gradTransposed ? [...p.shape].reverse() : p.shape;
  if (g.shape.join() !== expected.join() || m.shape.join() !== p.shape.join() || v.shape.join() !== p.shape.join()) {
    throw new Error(`adamStep: shapes p [${p.shape}] g [${g.shape}] m [${m.shape}] v [${v.shape}] do not match`);
  }
  if (gradTransposed && p.rank !== 2) throw new Error('adamStep: a transposed gradient needs a 2-D parameter');
  if (useKernel(NAMES.adam, register)) {
    const [pNew, mNew, vNew] = tf.engine().runKernel(NAMES.adam, { p, g, m, v }, { ...attrs, gradTransposed }) as tf.Tensor[];
    return { p: pNew!, m: mNew!, v: vNew! };
  }
  const { beta1, beta2, stepSize, epsHat } = attrs;
  return tf.tidy(() => {
    const grad = gradTransposed ? tf.transpose(g) : g;
    const mNew = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
    const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const pNew = tf.sub(p, tf.mul(tf.div(mNew, tf.add(tf.sqrt(vNew), epsHat)), stepSize));
    return { p: pNew, m: mNew, v: vNew };
  }) as AdamStepResult;
}

/** G − (G·û)û per row, û = W/‖W‖ by row: the gradient with its component along each decoder row removed. */
export function projectOutRows(G: tf.Tensor2D, W: tf.Tensor2D): tf.Tensor2D {
  if (G.shape.join() !== W.shape.join()) throw new Error(`projectOutRows: G [${G.shape}] and W [${W.shape}] differ`);
  if (useKernel(NAMES.projectOut, register)) return tf.engine().runKernel(NAMES.projectOut, { G, W }, {}) as tf.Tensor2D;
  return tf.tidy(() => {
    const unit = tf.div(W, tf.maximum(tf.norm(W, 'euclidean', 1, true), MIN_NORM)); // [rows, d]
    const along = tf.sum(tf.mul(G, unit), 1, true); // [rows, 1]
    return tf.sub(G, tf.mul(along, unit)) as tf.Tensor2D;
  });
}

/** W with each row scaled to unit L2 norm. */
export function normalizeRows(W: tf.Tensor2D): tf.Tensor2D {
  if (useKernel(NAMES.normalize, register)) return tf.engine().runKernel(NAMES.normalize, { W }, {}) as tf.Tensor2D;
  return tf.tidy(() => tf.div(W, tf.maximum(tf.norm(W, 'euclidean', 1, true), MIN_NORM)) as tf.Tensor2D);
}

const adamKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const be = heapOf(backend);
  const pInfo = input(inputs, 'p');
  const { beta1, beta2, stepSize, epsHat, gradTransposed } = attrs as unknown as AdamStepAttrs & { gradTransposed: boolean };
  const pOut = be.makeOutput([...pInfo.shape], 'float32');
  const mOut = be.makeOutput([...pInfo.shape], 'float32');
  const vOut = be.makeOutput([...pInfo.shape], 'float32');
  const p = f32(be, pInfo, 'p'), g = f32(be, input(inputs, 'g'), 'g');
  const m = f32(be, input(inputs, 'm'), 'm'), v = f32(be, input(inputs, 'v'), 'v');
  const p2 = f32(be, pOut, 'p out'), m2 = f32(be, mOut, 'm out'), v2 = f32(be, vOut, 'v out');
  const args = [at(p), at(g), at(m), at(v), at(p2), at(m2), at(v2), beta1, beta2, stepSize, epsHat];
  if (!gradTransposed) {
    runRanges('adam', p.buffer, args, p.length, p.length);
  } else {
    // p is [R, C], g is [C, R]: split by rows of p.
    const [R = 0, C = 0] = pInfo.shape;
    runRanges('adamTransposedGrad', p.buffer, [...args, R, C], R, p.length);
  }
  return [pOut, mOut, vOut];
};

const projectOutKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const be = heapOf(backend);
  const GInfo = input(inputs, 'G');
  const [rows = 0, d = 0] = GInfo.shape;
  const out = be.makeOutput([rows, d], 'float32');
  const G = f32(be, GInfo, 'G'), W = f32(be, input(inputs, 'W'), 'W'), o = f32(be, out, 'out');
  runRanges('projectOutRows', o.buffer, [at(G), at(W), at(o), d, MIN_NORM], rows, rows * d);
  return out;
};

const normalizeKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const be = heapOf(backend);
  const WInfo = input(inputs, 'W');
  const [rows = 0, d = 0] = WInfo.shape;
  const out = be.makeOutput([rows, d], 'float32');
  const W = f32(be, WInfo, 'W'), o = f32(be, out, 'out');
  runRanges('normalizeRows', o.buffer, [at(W), at(o), d, MIN_NORM], rows, rows * d);
  return out;
};

function register(): void {
  registerForWasm([
    [NAMES.adam, adamKernel],
    [NAMES.projectOut, projectOutKernel],
    [NAMES.normalize, normalizeKernel],
  ]);
}
