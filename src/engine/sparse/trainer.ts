// The weight-sparse training loop (Gao et al. 2025): a GPT-2 trained from scratch on token windows,
// each step AdamW on gradients normalised to RMS 1, then every sparsified matrix projected to the
// step's nonzero fraction (schedule.ts, matrices.ts). Checkpoints, resume, NaN halt and cancel follow
// SAE training (sae/train/trainer.ts) and reuse its checkpoint folders: a checkpoint holds the
// parameters and AdamW moments; batches, learning rate and fraction are functions of the step, so a
// run resumed after kill -9 repeats the uninterrupted one exactly.
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { ModelConfig } from '../model/config';
import { Rng } from '../random';
import { latestCheckpointPath, loadLatestCheckpoint, writeCheckpoint, type HostTensor, type LoadedCheckpoint } from '../sae/train/checkpoint';
import { describeDifferences, settingDifferences } from '../sae/train/settings';
import { AdamW } from '../lm-train/adamw';
import { initGpt2Params, isDecayed, type Gpt2Params } from '../lm-train/gpt2-params';
import { lmLoss, type TrainingHook } from '../lm-train/lm-loss';
import { countNonzero, projectWeights, sparsifiedMatrices } from './matrices';
import { learningRate, nonzeroFraction } from './schedule';
import type { TrainingWindows } from './training-windows';

/** The run's settings: everything that decides its result (a resume must match them all). */
export interface SparseSettings {
  steps: number;
  batchSize: number;
  targetFraction: number;
  minPerNeuron: number;
  sparsifyEmbeddings: boolean;
  lr: number;
  warmupFraction: number;
  weightDecay: number;
  seed: number;
  [more: string]: number | string | boolean | null;
}

export interface SparseTrainOptions {
  config: ModelConfig;
  settings: SparseSettings;
  windows: TrainingWindows;
  checkpointDir: string;
  checkpointEvery: number;
  evalEvery: number;
  restart: boolean;
  signal: AbortSignal;
  onMetrics: (step: number, metrics: Record<string, number>) => void;
}

export interface SparseTrainResult {
  params: Gpt2Params;
  step: number;
  resumedFromStep: number | null;
  metrics: Record<string, number>;
  dispose(): void;
}

/** Paper's optimizer: β2 0.95 and a large ε (0.1), on gradients normalised to RMS 1. */
const ADAM = { beta1: 0.9, beta2: 0.95, eps: 0.1, clipNorm: 1, normalizeRms: true };

export async function trainSparse(o: SparseTrainOptions): Promise<SparseTrainResult> {
  const s = o.settings;
  const matrices = sparsifiedMatrices(o.config, s.sparsifyEmbeddings);
  const resumed = checkpointToResume(o);
  const params = initGpt2Params(o.config, s.seed);
  const opt = new AdamW(params, { ...ADAM, weightDecay: s.weightDecay }, isDecayed);
  const names = [...params.keys()];
  const vars = [...params.values()];
  let step = 0;
  if (resumed) {
    restore(resumed, params, opt);
    step = resumed.state.step;
  }
  let kept = countNonzero(params, matrices);
  let metrics: Record<string, number> = {};

  const checkpoint = (): void => {
    const tensors = new Map<string, HostTensor>();
    const host = (t: tf.Tensor): HostTensor => ({ shape: [...t.shape], data: t.dataSync() as Float32Array });
    for (const n of names) {
      tensors.set(`param.${n}`, host(params.get(n)!));
      tensors.set(`adam_m.${n}`, host(opt.m.get(n)!));
      tensors.set(`adam_v.${n}`, host(opt.v.get(n)!));
    }
    writeCheckpoint(o.checkpointDir, { step, tokens: step * s.batchSize * (o.windows.span - 1), rng: [], adamT: opt.step, data: undefined, scale: 1, extra: {}, settings: s }, tensors);
  };

  try {
    while (step < s.steps) {
      if (o.signal.aborted) {
        checkpoint();
        throw new FeaturescopeError('cancelled', `The job was cancelled at step ${step}; its checkpoint is kept, so training again under the same name resumes there.`);
      }
      const lr = learningRate(step, s);
      const batch = batchAt(o.windows, s, step);
      const { value, grads } = tf.variableGrads(() => lmLoss(params, o.config, batch), vars);
      const loss = value.dataSync()[0]!;
      batch.dispose();
      value.dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(grads));
        const last = latestCheckpointPath(o.checkpointDir);
        throw new FeaturescopeError(
          'failed',
          `Sparse training stopped: the loss became ${loss} at step ${step}. ` +
            (last ? `The last good checkpoint is kept at ${last}. ` : 'No checkpoint was written yet. ') +
            'Lower the learning rate (lr) and train again under a new name, or with restart.',
        );
      }
      const gradNorm = opt.apply(new Map(names.map((n, i) => [n, grads[vars[i]!.name]!])), lr);
      tf.dispose(Object.values(grads));
      step++;
      const fraction = nonzeroFraction(step, s);
      if (fraction < 1) kept = projectWeights(params, matrices, fraction, s.minPerNeuron);
      metrics = { trainLoss: loss, lr, nonzeroFraction: kept.kept / kept.total, scheduledFraction: fraction, gradNorm, ...(metrics.valLoss === undefined ? {} : pick(metrics)) };
      if (step % o.evalEvery === 0 || step === s.steps) metrics = { ...metrics, ...evaluate(params, o.config, o.windows, s.batchSize) };
      o.onMetrics(step, metrics);
      if (step % o.checkpointEvery === 0 && step < s.steps) checkpoint();
      // Let the event loop run so a cancel (or a kill) is seen between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (resumed?.state.step !== step) checkpoint();
    if (metrics.valLoss === undefined) metrics = { nonzeroFraction: kept.kept / kept.total, ...evaluate(params, o.config, o.windows, s.batchSize) };
  } catch (err) {
    opt.dispose();
    tf.dispose(vars);
    throw err;
  }
  opt.dispose();
  return { params, step, resumedFromStep: resumed?.state.step ?? null, metrics, dispose: () => tf.dispose(vars) };
}

/** The figures that only change at an evaluation, carried forward between them for the charts. */
function pick(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => k === 'valLoss' || k.startsWith('alive_')));
}

/** The windows of step `step`'s batch: drawn by a generator seeded by (seed, step) alone. */
function batchAt(w: TrainingWindows, s: SparseSettings, step: number): tf.Tensor2D {
  const rng = Rng.fromSeed((Math.imul(s.seed + 1, 0x9e3779b1) ^ step) >>> 0);
  const data = new Int32Array(s.batchSize * w.span);
  for (let b = 0; b < s.batchSize; b++) {
    const i = Math.floor(rng.uniform() * w.trainCount);
    data.set(w.train.subarray(i * w.span, (i + 1) * w.span), b * w.span);
  }
  return tf.tensor2d(data, [s.batchSize, w.span], 'int32');
}

/** Validation loss and, per layer, the MLP neurons that fire (GELU output > 0) on some held-out token. */
function evaluate(params: Gpt2Params, config: ModelConfig, w: TrainingWindows, batchSize: number): Record<string, number> {
  const alive = Array.from({ length: config.nLayers }, () => new Uint8Array(config.dMlp));
  let total = 0;
  for (let start = 0; start < w.validationCount; start += batchSize) {
    const n = Math.min(batchSize, w.validationCount - start);
    const maxima: tf.Tensor[] = [];
    const hook: TrainingHook = (name, act) => {
      const m = /^blocks\.(\d+)\.mlp\.hook_post$/.exec(name);
      if (m) maxima[Number(m[1])] = tf.keep(tf.max(act, [0, 1]));
      return act;
    };
    total += tf.tidy(() => {
      const ids = tf.tensor2d(w.validation.subarray(start * w.span, (start + n) * w.span), [n, w.span], 'int32');
      return lmLoss(params, config, ids, hook).dataSync()[0]! * n;
    });
    maxima.forEach((t, L) => {
      const v = t.dataSync();
      for (let i = 0; i < v.length; i++) if (v[i]! > 0) alive[L]![i] = 1;
    });
    tf.dispose(maxima);
  }
  const out: Record<string, number> = { valLoss: total / w.validationCount };
  alive.forEach((a, L) => (out[`alive_L${L}`] = a.reduce((x, y) => x + y, 0)));
  return out;
}

/** The newest complete checkpoint, when it was trained with the same settings; refused otherwise. */
function checkpointToResume(o: SparseTrainOptions): LoadedCheckpoint | undefined {
  if (o.restart) rmSync(o.checkpointDir, { recursive: true, force: true });
  const found = loadLatestCheckpoint(o.checkpointDir);
  if (found === undefined) return undefined;
  const diffs = settingDifferences(found.state.settings ?? {}, o.settings);
  if (diffs.length > 0) {
    throw new FeaturescopeError(
      'invalid_input',
      `This name's checkpoint (step ${found.state.step}, ${found.path}) was trained with other settings: ${describeDifferences(diffs)}. Train under another name, or restart (--restart) to discard that checkpoint.`,
      diffs[0]!.field,
    );
  }
  return found;
}

function restore(c: LoadedCheckpoint, params: Gpt2Params, opt: AdamW): void {
  const load = (key: string, target: tf.Variable): void => {
    const t = c.tensors.get(key);
    if (t === undefined || t.shape.join() !== target.shape.join()) throw new FeaturescopeError('bad_file', `${c.path}: the checkpoint has no tensor ${key} of shape [${target.shape.join(', ')}]`);
    const loaded = tf.tensor(t.data, t.shape, 'float32');
    target.assign(loaded);
    loaded.dispose();
  };
  for (const [n, p] of params) {
    load(`param.${n}`, p);
    load(`adam_m.${n}`, opt.m.get(n)!);
    load(`adam_v.${n}`, opt.v.get(n)!);
  }
  opt.step = c.state.adamT;
}
