// SAE evaluation with SAELens's metric names, over token windows run through a model.
//
// Splicing: the SAE's reconstruction replaces the activation at its hook through the model's hook
// mechanism (one run clean, one with x → x̂, one with x → 0), and next-token cross-entropy and the
// KL divergence from the clean distribution are compared:
//   ce_loss_score = (CE_zero − CE_sae) / (CE_zero − CE_clean)   (1 = SAE loses nothing, 0 = as bad as zeroing)
//   kl_div_score  = (KL_zero − KL_sae) / KL_zero
// CE is the mean over every position that has a next token in its window; KL(clean ‖ spliced) is
// the mean over every position. Reconstruction metrics use the clean activations at the hook:
// l0 (mean active features per token), mse (per element), explained_variance (1 − Σ‖x − x̂‖² /
// Σ‖x − x̄‖²), dead_fraction (features that never fired) and a histogram of log10 feature density.
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model/load';
import type { Sae } from './sae';

export interface SaeEvalOptions {
  /** Hook to splice at (default: the SAE's metadata.hook_name). */
  hook?: string;
  /** Windows per forward pass (default 8). */
  windowsPerBatch?: number;
  /** Bins of the log10 density histogram (default 20). */
  densityBins?: number;
  /** Told after each forward pass how many windows are done (a job's progress). */
  onBatch?: (windowsDone: number) => void;
}

export interface DensityHistogram {
  /** Bin edges in log10(density), densityBins + 1 of them, from log10(1/tokens) to 0. */
  log10Edges: number[];
  /** Features per bin (the last bin includes its upper edge). */
  counts: number[];
  /** Features that never fired: density 0 is off the log scale. */
  dead: number;
}

export interface SaeEvalMetrics {
  ce_loss_clean: number;
  ce_loss_with_sae: number;
  ce_loss_zero_ablation: number;
  ce_loss_score: number;
  kl_div_with_sae: number;
  kl_div_with_ablation: number;
  kl_div_score: number;
  l0: number;
  mse: number;
  explained_variance: number;
  dead_fraction: number;
  /** Fraction of eval tokens on which each feature fired, [d_sae]. */
  feature_density: Float64Array;
  density_histogram: DensityHistogram;
  /** Tokens the reconstruction metrics and densities are over. */
  tokens: number;
  /** Next-token predictions the CE figures are over. */
  predictions: number;
}

interface Sums {
  ce: [number, number, number]; // clean, sae, zero
  kl: [number, number]; // sae, zero
  predictions: number;
  positions: number;
  sse: number;
  active: number;
  sumX: Float64Array;
  sumX2: Float64Array;
  fired: Float64Array;
}

export function evaluateSae(model: LoadedModel, sae: Sae, windows: number[][], opts: SaeEvalOptions = {}): SaeEvalMetrics {
  const hook = opts.hook ?? sae.cfg.metadata.hook_name;
  if (!model.hookNames().includes(hook)) {
    throw new FeaturescopeError('invalid_input', `hook ${JSON.stringify(hook)} is not a hook point of the model in ${model.dir}`, 'hook');
  }
  if (windows.length === 0 || (windows[0]?.length ?? 0) < 2) {
    throw new FeaturescopeError('invalid_input', 'evaluation needs at least one window of at least 2 tokens', 'windows');
  }
  const perBatch = opts.windowsPerBatch ?? 8;
  const bins = opts.densityBins ?? 20;
  if (!Number.isInteger(perBatch) || perBatch < 1) throw new FeaturescopeError('invalid_input', `windowsPerBatch must be a positive integer, got ${perBatch}`, 'windowsPerBatch');
  if (!Number.isInteger(bins) || bins < 1) throw new FeaturescopeError('invalid_input', `densityBins must be a positive integer, got ${bins}`, 'densityBins');
  const { d_in: dIn, d_sae: dSae } = sae.cfg;
  const sums: Sums = {
    ce: [0, 0, 0], kl: [0, 0], predictions: 0, positions: 0, sse: 0, active: 0,
    sumX: new Float64Array(dIn), sumX2: new Float64Array(dIn), fired: new Float64Array(dSae),
  };
  for (let i = 0; i < windows.length; i += perBatch) {
    evaluateBatch(model, sae, hook, windows.slice(i, i + perBatch), sums);
    opts.onBatch?.(Math.min(windows.length, i + perBatch));
  }

  const N = sums.positions;
  let totalSS = 0;
  for (let j = 0; j < dIn; j++) totalSS += sums.sumX2[j]! - (sums.sumX[j]! * sums.sumX[j]!) / N;
  const [ceClean, ceSae, ceZero] = sums.ce.map((s) => s / sums.predictions) as [number, number, number];
  const [klSae, klZero] = sums.kl.map((s) => s / N) as [number, number];
  const density = sums.fired.map((c) => c / N);
  const histogram = densityHistogram(density, N, bins);
  return {
    ce_loss_clean: ceClean,
    ce_loss_with_sae: ceSae,
    ce_loss_zero_ablation: ceZero,
    ce_loss_score: ceZero === ceClean ? Number.NaN : (ceZero - ceSae) / (ceZero - ceClean),
    kl_div_with_sae: klSae,
    kl_div_with_ablation: klZero,
    kl_div_score: klZero === 0 ? Number.NaN : (klZero - klSae) / klZero,
    l0: sums.active / N,
    mse: sums.sse / (N * dIn),
    explained_variance: totalSS > 0 ? 1 - sums.sse / totalSS : Number.NaN,
    dead_fraction: histogram.dead / dSae,
    feature_density: density,
    density_histogram: histogram,
    tokens: N,
    predictions: sums.predictions,
  };
}

function evaluateBatch(model: LoadedModel, sae: Sae, hook: string, tokens: number[][], sums: Sums): void {
  const clean = model.run(tokens, { capture: [hook] });
  const x = clean.captured.get(hook);
  try {
    if (x === undefined) throw new FeaturescopeError('internal', `the run did not capture ${hook}`);
    if (x.shape[x.rank - 1] !== sae.cfg.d_in) {
      throw new FeaturescopeError('invalid_input', `the SAE has d_in ${sae.cfg.d_in} but ${hook} has width ${x.shape[x.rank - 1]}`, 'sae');
    }
    const withSae = model.run(tokens, { hooks: [{ hook, fn: (act) => sae.forward(act) }] }).logits;
    const zeroed = model.run(tokens, { hooks: [{ hook, fn: (act) => tf.zerosLike(act) }] }).logits;
    try {
      tf.tidy(() => {
        const logp = [clean.logits, withSae, zeroed].map((l) => tf.logSoftmax(l)); // [batch, pos, d_vocab]
        logp.forEach((lp, i) => (sums.ce[i as 0 | 1 | 2] += nextTokenNll(lp, tokens)));
        const pClean = tf.exp(logp[0]!);
        const kl = (i: 1 | 2): number => tf.sum(tf.mul(pClean, tf.sub(logp[0]!, logp[i]!))).dataSync()[0]!; // Σ KL(clean ‖ run i)
        sums.kl[0] += kl(1);
        sums.kl[1] += kl(2);
        sums.predictions += tokens.length * (tokens[0]!.length - 1);

        const rows = tf.reshape(x, [-1, sae.cfg.d_in]) as tf.Tensor2D; // [N, d_in]
        const f = sae.encode(rows) as tf.Tensor2D; // [N, d_sae]
        const xHat = sae.decode(f, rows); // [N, d_in]
        const firing = tf.cast(tf.greater(f, 0), 'float32'); // [N, d_sae]
        sums.sse += tf.sum(tf.square(tf.sub(rows, xHat))).dataSync()[0]!;
        sums.active += tf.sum(firing).dataSync()[0]!;
        addInto(sums.fired, tf.sum(firing, 0).dataSync());
        addInto(sums.sumX, tf.sum(rows, 0).dataSync());
        addInto(sums.sumX2, tf.sum(tf.square(rows), 0).dataSync());
        sums.positions += rows.shape[0];
      });
    } finally {
      tf.dispose([withSae, zeroed]);
    }
  } finally {
    tf.dispose([clean.logits, ...clean.captured.values()]);
  }
}

/** Σ −log p(token[t+1]) over every position t that has a next token. logp: [batch, pos, d_vocab]. */
function nextTokenNll(logp: tf.Tensor, tokens: number[][]): number {
  const [batch = 0, pos = 0, vocab = 0] = logp.shape;
  const idx: number[] = [];
  for (let b = 0; b < batch; b++) for (let t = 0; t + 1 < pos; t++) idx.push((b * pos + t) * vocab + tokens[b]![t + 1]!);
  return -tf.sum(tf.gather(tf.reshape(logp, [-1]), tf.tensor1d(idx, 'int32'))).dataSync()[0]!;
}

function addInto(acc: Float64Array, add: ArrayLike<number>): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + add[i]!;
}

/** Histogram of log10(density) over live features; bins span [log10(1/tokens), 0]. */
export function densityHistogram(density: ArrayLike<number>, tokens: number, bins: number): DensityHistogram {
  const lo = Math.log10(1 / tokens);
  const width = (0 - lo) / bins;
  const log10Edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? 0 : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  let dead = 0;
  for (let i = 0; i < density.length; i++) {
    const d = density[i]!;
    if (d <= 0) {
      dead++;
      continue;
    }
    const bin = width > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(d) - lo) / width))) : bins - 1;
    counts[bin]!++;
  }
  return { log10Edges, counts, dead };
}
