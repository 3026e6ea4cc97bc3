// The SAE training loop: architecture-independent. It scales inputs, runs the recipe's step,
// stops on a non-finite loss, clips, applies Adam, tracks dead latents, reports metrics,
// checkpoints, resumes and honours cancellation.
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import type { Sae } from '../sae';
import { Adam, type AdamOptions } from './adam';
import { JumpReluTraining } from './architectures/jumpreluTraining';
import { StandardTraining } from './architectures/standardTraining';
import { TopKTraining } from './architectures/topkTraining';
import { latestCheckpointPath, loadLatestCheckpoint, writeCheckpoint, type HostTensor } from './checkpoint';
import type { ActivationProvider } from './dataProvider';
import { geometricMedian, tiedParams } from './init';
import { Rng } from '../../random';
import { lambdaFactor, learningRate, type ScheduleOptions } from './schedule';
import type { TrainingArchitecture, TrainingSae } from './trainingSae';

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

export interface TrainSaeOptions {
  architecture: TrainingArchitecture;
  dIn: number;
  dSae: number;
  /** Active latents per token (topk, batchtopk). */
  k?: number;
  hookName: string;
  modelName: string;
  totalSteps: number;
  batchSize: number;
  seed: number;
  data: ActivationProvider;
  lr?: number;
  warmupSteps?: number;
  /** Fraction of steps at the end over which lr decays to 0 (default 0.2). */
  decayFraction?: number;
  /** Fraction of steps over which the sparsity coefficient warms up (default 0.05). */
  lambdaWarmupFraction?: number;
  l1Coefficient?: number;
  l0Coefficient?: number;
  jumpreluBandwidth?: number;
  jumpreluInitThreshold?: number;
  kAux?: number;
  auxCoefficient?: number;
  /** A latent is dead when it has not fired in this many tokens (default 10M, OpenAI). */
  deadTokens?: number;
  applyBDecToInput?: boolean;
  adam?: Partial<AdamOptions>;
  checkpointDir?: string;
  checkpointEvery?: number;
  keepCheckpoints?: number;
  metricsEvery?: number;
  onMetrics?: (m: TrainMetrics) => void;
  signal?: AbortSignal;
}

export interface TrainSaeResult {
  /** Inference SAE on raw activations (scale folded in). The caller owns it. */
  sae: Sae;
  status: 'completed' | 'cancelled';
  step: number;
  resumedFromStep: number | undefined;
  /** Factor inputs were multiplied by during training (√d_in / mean‖x‖). */
  scale: number;
  lastMetrics: TrainMetrics | undefined;
}

function defaults(o: TrainSaeOptions) {
  const topk = o.architecture === 'topk' || o.architecture === 'batchtopk';
  if (topk && (o.k === undefined || !Number.isInteger(o.k) || o.k < 1 || o.k > o.dSae)) {
    throw new FeaturescopeError('invalid_input', `${o.architecture} needs an integer k in [1, dSae], got ${String(o.k)}`, 'k');
  }
  for (const [field, v] of [['dIn', o.dIn], ['dSae', o.dSae], ['totalSteps', o.totalSteps], ['batchSize', o.batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new FeaturescopeError('invalid_input', `${field} must be a positive integer, got ${String(v)}`, field);
  }
  const lr = o.lr ?? (topk ? 2e-4 / Math.sqrt(o.dSae / 2 ** 14) : o.architecture === 'jumprelu' ? 7e-5 : 5e-5);
  return {
    lr,
    warmupSteps: o.warmupSteps ?? Math.min(1000, Math.floor(o.totalSteps * 0.01)),
    decayFraction: o.decayFraction ?? 0.2,
    lambdaWarmupFraction: o.lambdaWarmupFraction ?? 0.05,
    applyBDecToInput: o.applyBDecToInput ?? topk,
    deadTokens: o.deadTokens ?? 10_000_000,
    adam: { beta1: 0.9, beta2: 0.999, eps: topk ? 6.25e-10 : 1e-8, ...o.adam },
  };
}

function makeTraining(o: TrainSaeOptions, d: ReturnType<typeof defaults>, params: Map<string, tf.Variable>): TrainingSae {
  switch (o.architecture) {
    case 'standard':
      return new StandardTraining(params, o.dIn, o.dSae, { l1Coefficient: o.l1Coefficient ?? 5, applyBDecToInput: d.applyBDecToInput });
    case 'jumprelu':
      return new JumpReluTraining(params, o.dIn, o.dSae, {
        l0Coefficient: o.l0Coefficient ?? 1e-3,
        bandwidth: o.jumpreluBandwidth ?? 1e-3,
        applyBDecToInput: d.applyBDecToInput,
      });
    case 'topk':
    case 'batchtopk':
      return new TopKTraining(params, o.dIn, o.dSae, {
        k: o.k!,
        kAux: o.kAux ?? Math.max(1, Math.floor(o.dIn / 2)),
        auxCoefficient: o.auxCoefficient ?? 1 / 32,
        applyBDecToInput: d.applyBDecToInput,
        batchTopK: o.architecture === 'batchtopk',
        thresholdRate: 0.01,
      });
  }
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

export async function trainSae(o: TrainSaeOptions): Promise<TrainSaeResult> {
  const d = defaults(o);
  const sched: ScheduleOptions = { totalSteps: o.totalSteps, lr: d.lr, warmupSteps: d.warmupSteps, decayFraction: d.decayFraction, lambdaWarmupFraction: d.lambdaWarmupFraction };
  const adam = new Adam(d.adam);
  const tokensSinceFired = new Float64Array(o.dSae);
  const resumed = o.checkpointDir !== undefined ? loadLatestCheckpoint(o.checkpointDir) : undefined;

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
    training = makeTraining(o, d, params);
    training.loadExtraState(st.extra);
  } else {
    rng = Rng.fromSeed(o.seed);
    // Input scale √d_in / mean‖x‖ from the first batch, which also seeds b_dec (topk).
    const sample = toBatchTensor(o.data.nextBatch(o.batchSize), o.batchSize, o.dIn);
    const meanNorm = tf.tidy(() => tf.mean(tf.norm(sample, 'euclidean', 1)).dataSync()[0]!);
    if (!(meanNorm > 0) || !Number.isFinite(meanNorm)) {
      sample.dispose();
      throw new FeaturescopeError('failed', `the first batch of activations has mean norm ${meanNorm}; cannot scale inputs`);
    }
    scale = Math.sqrt(o.dIn) / meanNorm;
    const rowNorm = o.architecture === 'standard' ? 0.1 : 1;
    params = tiedParams(rng, o.dIn, o.dSae, rowNorm);
    if (o.architecture === 'topk' || o.architecture === 'batchtopk') {
      tf.tidy(() => params.get('b_dec')!.assign(geometricMedian(tf.mul(sample, scale) as tf.Tensor2D)));
    }
    if (o.architecture === 'jumprelu') {
      params.set('log_threshold', tf.tidy(() => tf.variable(tf.fill([o.dSae], Math.log(o.jumpreluInitThreshold ?? 1e-3)), true)));
    }
    sample.dispose();
    training = makeTraining(o, d, params);
  }

  const base = { normalize_activations: 'none', dtype: 'float32' as const, metadata: { hook_name: o.hookName, model_name: o.modelName } };
  const checkpoint = (step: number): string | undefined => {
    if (o.checkpointDir === undefined) return undefined;
    const tensors = new Map<string, HostTensor>();
    for (const [n, p] of params) tensors.set(`param.${n}`, hostTensor(p));
    for (const [n, m] of adam.m) tensors.set(`adam_m.${n}`, hostTensor(m));
    for (const [n, v] of adam.v) tensors.set(`adam_v.${n}`, hostTensor(v));
    tensors.set('tokens_since_fired', { shape: [o.dSae], data: Float32Array.from(tokensSinceFired) });
    return writeCheckpoint(
      o.checkpointDir,
      { step, tokens, rng: rng.state(), adamT: adam.t, data: o.data.getState?.(), scale, extra: training.extraState() },
      tensors,
      o.keepCheckpoints ?? 2,
    );
  };

  const metricsEvery = o.metricsEvery ?? 10;
  let lastMetrics: TrainMetrics | undefined;
  let step = startStep;
  try {
    for (; step < o.totalSteps; step++) {
      if (o.signal?.aborted) {
        checkpoint(step);
        return { sae: training.toSae(base, scale), status: 'cancelled', step, resumedFromStep: resumed?.state.step, scale, lastMetrics };
      }
      const lr = learningRate(sched, step);
      const raw = toBatchTensor(o.data.nextBatch(o.batchSize), o.batchSize, o.dIn);
      const x = tf.tidy(() => tf.mul(raw, scale) as tf.Tensor2D); // [B, d_in]
      raw.dispose();
      let numDead = 0;
      const dead = new Float32Array(o.dSae);
      for (let i = 0; i < o.dSae; i++) if (tokensSinceFired[i]! >= d.deadTokens) (dead[i] = 1), numDead++;
      const deadMask = tf.tensor1d(dead);
      const out = training.step({ x, lambdaFactor: lambdaFactor(sched, step), deadMask, numDead });
      const loss = out.loss.dataSync()[0]!;
      const sse = out.sumSquaredError.dataSync()[0]!;
      const l0 = out.activeCount.dataSync()[0]! / o.batchSize;
      const fired = out.firedCounts.dataSync();
      const totalVar = tf.tidy(() => tf.sum(tf.moments(x, 0).variance).dataSync()[0]! * o.batchSize);
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
      if (training.clipGradNorm !== undefined) clipGlobalNorm(grads, training.clipGradNorm);
      adam.update(params, grads, lr, new Set(out.transposedGrads ?? []));
      tf.dispose(Object.values(grads));
      training.afterUpdate(out);
      for (let i = 0; i < o.dSae; i++) tokensSinceFired[i] = fired[i]! > 0 ? 0 : tokensSinceFired[i]! + o.batchSize;
      tokens += o.batchSize;
      if (o.onMetrics && ((step + 1) % metricsEvery === 0 || step + 1 === o.totalSteps)) {
        lastMetrics = {
          step: step + 1,
          tokens,
          loss,
          mse: sse / (o.batchSize * o.dIn) / (scale * scale),
          explained_variance: totalVar > 0 ? 1 - sse / totalVar : 0,
          l0,
          dead_fraction: numDead / o.dSae,
          lr,
        };
        o.onMetrics(lastMetrics);
      }
      if (o.checkpointEvery !== undefined && (step + 1) % o.checkpointEvery === 0 && step + 1 < o.totalSteps) checkpoint(step + 1);
      // Let the event loop run so an abort (or a kill) is seen between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    checkpoint(step);
    return { sae: training.toSae(base, scale), status: 'completed', step, resumedFromStep: resumed?.state.step, scale, lastMetrics };
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
