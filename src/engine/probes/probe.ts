// Sparse probes: which few neurons or SAE features tell two labelled prompt sets apart?
// One activation row per prompt (mean over its tokens, or its last token) at a hook, optionally
// encoded by an SAE; a seeded stratified train/test split (or one by groups, keeping the rows of a
// group together); the lasso path on the training rows
// (standardised with training statistics only); accuracy per λ on both splits; and the smallest
// feature set whose held-out accuracy reaches the target.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model/load';
import { SeededRandom } from '../random';
import type { Sae } from '../sae/sae';
import { accuracy, fitLassoPath, type LassoFit, type LassoPath, type LassoPathOptions } from './lasso';

export type ProbePooling = 'mean' | 'last';

export interface LabelledPrompt {
  tokens: number[];
  label: 0 | 1;
}

export interface ProbeActivationOptions {
  /** Hook whose activation is read, e.g. blocks.2.mlp.hook_post or blocks.1.hook_resid_post. */
  hook: string;
  /** Encode the activation with this SAE (its hook must be `hook`): rows are feature activations. */
  sae?: Sae;
  /** Default 'mean'. */
  pooling?: ProbePooling;
}

export interface ProbeSplitOptions {
  /** Fraction of each class held out; default 0.25. */
  testFraction?: number;
  /** Seed of the split; default 0. */
  seed?: number;
  /**
   * Group id per row: rows of one group land on the same side of the split (the two sentences of a
   * contrast pair share a group, so held-out accuracy is not read off a sentence's own twin).
   */
  groups?: number[];
  /** Held-out accuracy the smallest feature set must reach; default 0.9. */
  targetAccuracy?: number;
  path?: LassoPathOptions;
}

export interface ProbeStep {
  lambda: number;
  /** Non-zero coefficients, largest |standardised coef| first. */
  features: number[];
  trainAccuracy: number;
  testAccuracy: number;
}

export interface ProbeResult {
  width: number;
  trainRows: number[];
  testRows: number[];
  path: LassoPath;
  steps: ProbeStep[];
  /** The fewest features whose held-out accuracy ≥ target (ties: the higher accuracy); null if none does. */
  smallest: { lambda: number; testAccuracy: number; features: { index: number; coef: number }[] } | null;
}

/** One row per prompt, row-major [prompts, width]: the pooled activation (or SAE features) at the hook. */
export function probeActivations(model: LoadedModel, prompts: number[][], opts: ProbeActivationOptions): { x: Float64Array; width: number } {
  if (!model.hookNames().includes(opts.hook)) throw new FeaturescopeError('invalid_input', `hook: ${JSON.stringify(opts.hook)} is not a hook point of this model`, 'hook');
  if (opts.sae !== undefined && opts.sae.cfg.metadata.hook_name !== opts.hook) {
    throw new FeaturescopeError('invalid_input', `sae: the SAE reads ${opts.sae.cfg.metadata.hook_name}, not ${opts.hook}`, 'sae');
  }
  if (prompts.length === 0) throw new FeaturescopeError('invalid_input', 'prompts: needs at least one prompt', 'prompts');
  const pooling = opts.pooling ?? 'mean';
  const rows: Float32Array[] = [];
  prompts.forEach((tokens, i) => {
    if (tokens.length === 0) throw new FeaturescopeError('invalid_input', `prompts.${i}: a prompt needs at least one token`, `prompts.${i}`);
    const row = tf.tidy(() => {
      const { logits, captured } = model.run([tokens], { capture: [opts.hook], lastPositionOnly: true });
      logits.dispose();
      const act = captured.get(opts.hook);
      if (act === undefined) throw new FeaturescopeError('internal', `capture of ${opts.hook} returned nothing`);
      try {
        const units = opts.sae === undefined ? act : opts.sae.encode(act); // [1, pos, width]
        const width = units.shape[units.shape.length - 1] ?? 0;
        const flat = units.reshape([-1, width]); // [pos, width]
        const pooled = pooling === 'mean' ? flat.mean(0) : flat.slice([tokens.length - 1, 0], [1, width]).reshape([width]);
        return pooled.dataSync() as Float32Array;
      } finally {
        for (const t of captured.values()) t.dispose();
      }
    });
    rows.push(row);
  });
  const width = rows[0]?.length ?? 0;
  const x = new Float64Array(prompts.length * width);
  rows.forEach((r, i) => x.set(r, i * width));
  return { x, width };
}

/** Runs the prompts, then fits and evaluates the probe (see fitProbe). */
export function trainProbe(model: LoadedModel, prompts: LabelledPrompt[], opts: ProbeActivationOptions & ProbeSplitOptions): ProbeResult {
  const { x, width } = probeActivations(
    model,
    prompts.map((p) => p.tokens),
    opts,
  );
  return fitProbe(x, width, prompts.map((p) => p.label), opts);
}

/** The probe on a ready matrix (row-major [labels.length, width]). */
export function fitProbe(x: Float64Array, width: number, labels: number[], opts: ProbeSplitOptions = {}): ProbeResult {
  const n = labels.length;
  if (x.length !== n * width) throw new FeaturescopeError('invalid_input', `x: has ${x.length} values, expected ${n}×${width}`, 'x');
  const targetAccuracy = opts.targetAccuracy ?? 0.9;
  if (!(targetAccuracy > 0 && targetAccuracy <= 1)) throw new FeaturescopeError('invalid_input', 'targetAccuracy: must be in (0, 1]', 'targetAccuracy');
  const { train, test } =
    opts.groups === undefined ? stratifiedSplit(labels, opts.testFraction ?? 0.25, opts.seed ?? 0) : groupedSplit(labels, opts.groups, opts.testFraction ?? 0.25, opts.seed ?? 0);
  const pick = (rows: number[]): Float64Array => {
    const out = new Float64Array(rows.length * width);
    rows.forEach((r, i) => out.set(x.subarray(r * width, (r + 1) * width), i * width));
    return out;
  };
  const xTrain = pick(train);
  const xTest = pick(test);
  const yTrain = train.map((r) => labels[r] as number);
  const yTest = test.map((r) => labels[r] as number);
  const path = fitLassoPath({ x: xTrain, n: train.length, d: width, y: yTrain }, opts.path);
  const steps = path.fits.map(
    (fit): ProbeStep => ({
      lambda: fit.lambda,
      features: fit.active,
      trainAccuracy: accuracy(fit, xTrain, yTrain, width),
      testAccuracy: accuracy(fit, xTest, yTest, width),
    }),
  );
  let best: { fit: LassoFit; step: ProbeStep } | null = null;
  path.fits.forEach((fit, k) => {
    const step = steps[k] as ProbeStep;
    if (step.testAccuracy < targetAccuracy) return;
    if (best === null || step.features.length < best.step.features.length || (step.features.length === best.step.features.length && step.testAccuracy > best.step.testAccuracy)) {
      best = { fit, step };
    }
  });
  const chosen = best as { fit: LassoFit; step: ProbeStep } | null;
  return {
    width,
    trainRows: train,
    testRows: test,
    path,
    steps,
    smallest:
      chosen === null
        ? null
        : { lambda: chosen.fit.lambda, testAccuracy: chosen.step.testAccuracy, features: chosen.fit.active.map((index) => ({ index, coef: chosen.fit.coefRaw[index] as number })) },
  };
}

/** Seeded shuffle within each class; the first ⌈fraction·count⌉ of each class are held out. */
export function stratifiedSplit(labels: number[], testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new FeaturescopeError('invalid_input', 'testFraction: must be in (0, 1)', 'testFraction');
  const rng = new SeededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const rows = labels.flatMap((l, i) => (l === cls ? [i] : []));
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [rows[i], rows[j]] = [rows[j] as number, rows[i] as number];
    }
    const held = Math.ceil(testFraction * rows.length);
    if (rows.length - held < 1 || held < 1) {
      throw new FeaturescopeError('invalid_input', `labels: class ${cls} has ${rows.length} prompts; each class needs at least 2 to train and test`, 'labels');
    }
    test.push(...rows.slice(0, held));
    train.push(...rows.slice(held));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * Seeded shuffle of the groups; the first ⌈fraction·groups⌉ groups are held out, every row of a
 * group on the side of its group. Each class must still have rows on both sides.
 */
export function groupedSplit(labels: number[], groups: number[], testFraction: number, seed: number): { train: number[]; test: number[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new FeaturescopeError('invalid_input', 'testFraction: must be in (0, 1)', 'testFraction');
  if (groups.length !== labels.length) throw new FeaturescopeError('invalid_input', `groups: ${groups.length} group ids for ${labels.length} rows`, 'groups');
  const ids = [...new Set(groups)].sort((a, b) => a - b);
  const rng = new SeededRandom(seed);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  const held = new Set(ids.slice(0, Math.ceil(testFraction * ids.length)));
  const train: number[] = [];
  const test: number[] = [];
  groups.forEach((g, row) => (held.has(g) ? test : train).push(row));
  for (const cls of [0, 1]) {
    if (!train.some((r) => labels[r] === cls) || !test.some((r) => labels[r] === cls)) {
      throw new FeaturescopeError('invalid_input', `labels: class ${cls} is missing from the training or held-out groups (${ids.length} groups); each class needs rows in groups on both sides`, 'labels');
    }
  }
  return { train, test };
}
