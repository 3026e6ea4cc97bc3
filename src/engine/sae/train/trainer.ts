// The SAE training loop: architecture-independent. It resolves the run's settings (settings.ts),
// scales inputs, runs the architecture's recipe step (architectures/, through registry.ts), stops
// on a non-finite loss, clips, applies Adam, tracks dead latents, reports metrics, checkpoints,
// resumes a checkpoint of the same settings and honours cancellation.
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { TrainArchitecture } from '../../../shared/contract/sae';
import { FeaturescopeError } from '../../../shared/errors';
import { Rng } from '../../random';
import { trainingRecipe } from '../registry';
import type { Sae } from '../sae';
import { Adam } from './adam';
import { latestCheckpointPath, loadLatestCheckpoint, writeCheckpoint, type HostTensor, type LoadedCheckpoint } from './checkpoint';
import type { ActivationProvider } from './dataProvider';
import type { RunShape, TrainingSae } from './recipe';
import { lambdaFactor, learningRate, type ScheduleOptions } from './schedule';
import { describeDifferences, resolveSettings, settingDifferences, type GivenSettings, type TrainSettings } from './settings';

export interface TrainMetrics {
  step: number;
  tokens: number;
  loss: number;
  /** Mean squared error per element, in raw activation units. */
  mse: number;
  explained_variance: number;
  l0: number;
  dead_fraction: number;
  lr: number;
}

/** How a run is carried out; none of these change its result. */
export interface TrainControls {
  data: ActivationProvider;
  checkpointDir?: string;
  checkpointEvery?: number;
  keepCheckpoints?: number;
  /** Discard the checkpoints in checkpointDir and start from step 0. */
  restart?: boolean;
  metricsEvery?: number;
  onMetrics?: (m: TrainMetrics) => void;
  signal?: AbortSignal;
}

/** The architecture, the run and any settings the caller fixes (the rest get defaults), and how to run it. */
export type TrainSaeOptions = { [N in TrainArchitecture]: GivenSettings<N> }[TrainArchitecture] & TrainControls;

export interface TrainSaeResult {
  /** Inference SAE on raw activations (scale folded in). The caller owns it. */
  sae: Sae;
  status: 'completed' | 'cancelled';
  step: number;
  resumedFromStep: number | undefined;
  /** Every setting the run used, defaults filled in (also in each checkpoint). */
  settings: TrainSettings;
  /** Factor inputs were multiplied by during training (√d_in / mean‖x‖). */
  scale: number;
  lastMetrics: TrainMetrics | undefined;
}

function toBatchTensor(batch: Float32Array | tf.Tensor2D, batchSize: number, dIn: number): tf.Tensor2D {
  if (batch instanceof Float32Array) {
    if (batch.length !== batchSize * dIn) {
      throw new FeaturescopeError('failed', `data provider returned ${batch.length} floats, expected ${batchSize}×${dIn}`);
    }
    return tf.tensor2d(batch, [batchSize, dIn]);
  }
  if (batch.shape[0] !== batchSize || batch.shape[1] !== dIn) {
    throw new FeaturescopeError('failed', `data provider returned [${batch.shape.join(', ')}], expected [${batchSize}, ${dIn}]`);
  }
  return batch;
}

function hostTensor(t: tf.Tensor): HostTensor {
  return { shape: [...t.shape], data: t.dataSync() as Float32Array };
}

/**
 * The checkpoint to resume, if any: the newest complete one, provided it was trained with the same
 * settings. A checkpoint with other settings (or none recorded) is refused rather than mixed in.
 */
function checkpointToResume(o: TrainSaeOptions, settings: TrainSettings): LoadedCheckpoint | undefined {
  if (o.checkpointDir === undefined) return undefined;
  if (o.restart) rmSync(o.checkpointDir, { recursive: true, force: true });
  const found = loadLatestCheckpoint(o.checkpointDir);
  if (found === undefined) return undefined;
  const restart = 'Train under another name, or restart (--restart) to discard that checkpoint and train from step 0.';
  const before = found.state.settings;
  if (before === undefined) {
    throw new FeaturescopeError('invalid_input', `The checkpoint ${found.path} records no settings (an older version wrote it), so it cannot be checked against this run. ${restart}`, 'restart');
  }
  const diffs = settingDifferences(before, settings);
  if (diffs.length > 0) {
    throw new FeaturescopeError(
      'invalid_input',
      `This name's checkpoint (step ${found.state.step}, ${found.path}) was trained with other settings: ${describeDifferences(diffs)}. ${restart}`,
      diffs[0]!.field,
    );
  }
  return found;
}

export async function trainSae(o: TrainSaeOptions): Promise<TrainSaeResult> {
  const settings = resolveSettings(o);
  const s = settings;
  const recipe = trainingRecipe(s.architecture);
  const run: RunShape = { dIn: s.dIn, dSae: s.dSae, steps: s.steps, batchSize: s.batchSize };
  const sched: ScheduleOptions = { totalSteps: s.steps, lr: s.lr, warmupSteps: s.warmupSteps, decayFraction: s.decayFraction, lambdaWarmupFraction: s.lambdaWarmupFraction };
  const resumed = checkpointToResume(o, settings);
  const adam = new Adam({ beta1: s.adamBeta1, beta2: s.adamBeta2, eps: s.adamEps });
  const tokensSinceFired = new Float64Array(s.dSae);

  let rng: Rng;
  let params: Map<string, tf.Variable>;
  let scale: number;
  let startStep = 0;
  let tokens = 0;
  let training: TrainingSae;
  if (resumed) {
    const st = resumed.state;
    rng = Rng.fromState(st.rng);
    scale = st.scale;
    startStep = st.step;
    tokens = st.tokens;
    const get = (name: string): HostTensor => {
      const t = resumed.tensors.get(name);
      if (t === undefined) throw new FeaturescopeError('bad_file', `${resumed.path}: checkpoint has no tensor ${name}`);
      return t;
    };
    const names = [...resumed.tensors.keys()].filter((n) => n.startsWith('param.')).map((n) => n.slice('param.'.length));
    params = new Map(names.map((n) => [n, tf.tidy(() => tf.variable(tf.tensor(get(`param.${n}`).data, get(`param.${n}`).shape), true))]));
    const moments = (prefix: string): Map<string, tf.Tensor> => new Map(names.filter((n) => resumed.tensors.has(`${prefix}${n}`)).map((n) => [n, tf.tensor(get(`${prefix}${n}`).data, get(`${prefix}${n}`).shape)]));
    const m = moments('adam_m.'), v = moments('adam_v.');
    adam.load(st.adamT, m, v);
    tf.dispose([...m.values(), ...v.values()]);
    tokensSinceFired.set(get('tokens_since_fired').data);
    if (st.data !== undefined) {
      if (o.data.setState === undefined) throw new FeaturescopeError('unsupported', 'the checkpoint has a data position but the data provider cannot seek; start a new run');
      o.data.setState(st.data);
    }
    training = recipe.create(params, run, s);
    training.loadExtraState(st.extra);
  } else {
    rng = Rng.fromSeed(s.seed);
    // Input scale √d_in / mean‖x‖ from the first batch, which the recipe may also use (b_dec).
    const sample = toBatchTensor(o.data.nextBatch(s.batchSize), s.batchSize, s.dIn);
    const meanNorm = tf.tidy(() => tf.mean(tf.norm(sample, 'euclidean', 1)).dataSync()[0]!);
    if (!(meanNorm > 0) || !Number.isFinite(meanNorm)) {
      sample.dispose();
      throw new FeaturescopeError('failed', `the first batch of activations has mean norm ${meanNorm}; cannot scale inputs`);
    }
    scale = Math.sqrt(s.dIn) / meanNorm;
    const scaled = tf.tidy(() => tf.mul(sample, scale) as tf.Tensor2D);
    sample.dispose();
    try {
      params = recipe.init(rng, scaled, run, s);
    } finally {
      scaled.dispose();
    }
    training = recipe.create(params, run, s);
  }

  const base = { normalize_activations: 'none' as const, dtype: 'float32' as const, metadata: { hook_name: s.hookName, model_name: s.modelName } };
  const checkpoint = (step: number): string | undefined => {
    if (o.checkpointDir === undefined) return undefined;
    const tensors = new Map<string, HostTensor>();
    for (const [n, p] of params) tensors.set(`param.${n}`, hostTensor(p));
    for (const [n, m] of adam.m) tensors.set(`adam_m.${n}`, hostTensor(m));
    for (const [n, v] of adam.v) tensors.set(`adam_v.${n}`, hostTensor(v));
    tensors.set('tokens_since_fired', { shape: [s.dSae], data: Float32Array.from(tokensSinceFired) });
    return writeCheckpoint(
      o.checkpointDir,
      { step, tokens, rng: rng.state(), adamT: adam.t, data: o.data.getState?.(), scale, extra: training.extraState(), settings },
      tensors,
      o.keepCheckpoints ?? 2,
    );
  };
  const result = (status: TrainSaeResult['status'], step: number): TrainSaeResult => ({
    sae: training.toSae(base, scale),
    status,
    step,
    resumedFromStep: resumed?.state.step,
    settings,
    scale,
    lastMetrics,
  });

  const metricsEvery = o.metricsEvery ?? 10;
  let lastMetrics: TrainMetrics | undefined;
  let step = startStep;
  try {
    for (; step < s.steps; step++) {
      if (o.signal?.aborted) {
        checkpoint(step);
        return result('cancelled', step);
      }
      const lr = learningRate(sched, step);
      const raw = toBatchTensor(o.data.nextBatch(s.batchSize), s.batchSize, s.dIn);
      const x = tf.tidy(() => tf.mul(raw, scale) as tf.Tensor2D); // [B, d_in]
      raw.dispose();
      let numDead = 0;
      const dead = new Float32Array(s.dSae);
      for (let i = 0; i < s.dSae; i++) if (tokensSinceFired[i]! >= s.deadTokens) (dead[i] = 1), numDead++;
      const deadMask = tf.tensor1d(dead);
      const out = training.step({ x, lambdaFactor: lambdaFactor(sched, step), deadMask, numDead });
      const loss = out.loss.dataSync()[0]!;
      const sse = out.sumSquaredError.dataSync()[0]!;
      const l0 = out.activeCount.dataSync()[0]! / s.batchSize;
      const fired = out.firedCounts.dataSync();
      const totalVar = tf.tidy(() => tf.sum(tf.moments(x, 0).variance).dataSync()[0]! * s.batchSize);
      const grads = out.grads;
      tf.dispose([x, deadMask, out.loss, out.sumSquaredError, out.activeCount, out.firedCounts]);
      if (!Number.isFinite(loss) || !Number.isFinite(sse)) {
        tf.dispose(Object.values(grads));
        const last = o.checkpointDir !== undefined ? latestCheckpointPath(o.checkpointDir) : undefined;
        throw new FeaturescopeError(
          'failed',
          `SAE training stopped: the loss became ${loss} at step ${step}. ` +
            (last ? `The last good checkpoint is kept at ${last}. ` : 'No checkpoint was written. ') +
            'Lower the learning rate or check the activations for NaN/Inf values.',
        );
      }
      if (s.clipGradNorm !== null) clipGlobalNorm(grads, s.clipGradNorm);
      adam.update(params, grads, lr, new Set(out.transposedGrads ?? []));
      tf.dispose(Object.values(grads));
      training.afterUpdate(out);
      for (let i = 0; i < s.dSae; i++) tokensSinceFired[i] = fired[i]! > 0 ? 0 : tokensSinceFired[i]! + s.batchSize;
      tokens += s.batchSize;
      if (o.onMetrics && ((step + 1) % metricsEvery === 0 || step + 1 === s.steps)) {
        lastMetrics = {
          step: step + 1,
          tokens,
          loss,
          mse: sse / (s.batchSize * s.dIn) / (scale * scale),
          explained_variance: totalVar > 0 ? 1 - sse / totalVar : 0,
          l0,
          dead_fraction: numDead / s.dSae,
          lr,
        };
        o.onMetrics(lastMetrics);
      }
      if (o.checkpointEvery !== undefined && (step + 1) % o.checkpointEvery === 0 && step + 1 < s.steps) checkpoint(step + 1);
      // Let the event loop run so an abort (or a kill) is seen between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    checkpoint(step);
    return result('completed', step);
  } finally {
    adam.dispose();
    training.dispose();
  }
}

/** Scales all gradients in place so their global L2 norm is at most maxNorm. */
function clipGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): void {
  const norm = tf.tidy(() => Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!));
  if (norm <= maxNorm) return;
  for (const [name, g] of Object.entries(grads)) {
    grads[name] = tf.mul(g, maxNorm / norm);
    g.dispose();
  }
}
