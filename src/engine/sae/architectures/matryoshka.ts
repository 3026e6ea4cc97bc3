// Matryoshka BatchTopK SAE (Bussmann et al. 2025, "Learning Multi-Level Features with Matryoshka
// SAEs"; SAELens `matryoshka_batchtopk`, Gemma Scope 2): BatchTopK (batchtopk.ts) whose latents
// are ordered so that every prefix W_dec[:m] of the nested widths m₁ < m₂ < … < d_sae is an SAE
// on its own. Training adds, for each inner width m, the normalised MSE of the reconstruction
// from the active latents with index < m (same code, same b_dec):
//   L = Σ_m ‖x − x̂_m‖² / (B·Σ_d Var(x))  + AuxK,   x̂_{d_sae} = x̂.
// Inference is JumpReLU with the learned BatchTopK threshold on every latent (as SAELens saves
// it). It is saved as SAELens saves a Matryoshka BatchTopK training SAE: architecture
// "matryoshka_batchtopk" with k and matryoshka_widths in cfg.json and the threshold as the scalar
// tensor `topk_threshold`; io/saelensBatchTopK.ts reads such folders back, SAELens's too.
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import type { SaeConfig, SaeWeights } from '../sae';
import type { SparseCode } from '../sparse/sparseOps';
import { foldedWeights } from '../train/foldScale';
import type { RunShape, SaeBaseConfig, TrainingRecipe } from '../train/recipe';
import { BatchTopKTraining, batchTopKSettings, type BatchTopKSettings } from './batchtopk';
import { JumpReluSae } from './jumprelu';
import { topKInit } from './topk';

export class MatryoshkaBatchTopKSae extends JumpReluSae {
  constructor(cfg: SaeConfig, weights: SaeWeights) {
    super(cfg, weights);
    checkWidths(cfg.matryoshka_widths, cfg.d_sae, (rule) => new FeaturescopeError('bad_file', `matryoshka_widths ${rule}`, 'matryoshka_widths'));
  }

  /** SAELens's training-SAE fields: its threshold is one scalar, its decoder is used as it is. */
  override saeLensExtras(): { cfg: Record<string, unknown>; tensors: Array<[string, tf.Tensor]> } {
    return {
      cfg: { k: this.cfg.k, matryoshka_widths: this.cfg.matryoshka_widths, rescale_acts_by_decoder_norm: false },
      tensors: [['topk_threshold', tf.tidy(() => tf.reshape(tf.slice(this.weights.threshold!, [0], [1]), []))]],
    };
  }
}

export interface MatryoshkaSettings extends BatchTopKSettings {
  /** The nested widths as "m1,m2,…,d_sae" (settings are plain values). */
  matryoshkaWidths: string;
}

/** Throws (via `fail`) unless `widths` increase strictly from ≥ 1 and end at dSae. */
export function checkWidths(widths: unknown, dSae: number, fail: (rule: string) => Error): number[] {
  if (!Array.isArray(widths) || widths.length === 0) throw fail(`must be a non-empty list of widths, got ${JSON.stringify(widths)}`);
  widths.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1) throw fail(`[${i}] must be a positive integer, got ${JSON.stringify(w)}`);
    if (i > 0 && w <= (widths[i - 1] as number)) throw fail(`must increase strictly, got ${widths.join(', ')}`);
  });
  if (widths[widths.length - 1] !== dSae) throw fail(`must end at d_sae (${dSae}), got ${widths.join(', ')}`);
  return widths as number[];
}

/** Four levels halving from d_sae (d_sae/8, d_sae/4, d_sae/2, d_sae), those ≥ 1. */
function defaultWidths(dSae: number): number[] {
  return [...new Set([8, 4, 2, 1].map((f) => Math.floor(dSae / f)).filter((w) => w >= 1))];
}

/** "16,32,128" (or a list) as widths; SAELens appends d_sae when it is missing, and so do we. */
function parseWidths(given: unknown, dSae: number): number[] {
  const fail = (rule: string): FeaturescopeError => new FeaturescopeError('invalid_input', `matryoshkaWidths ${rule}`, 'matryoshkaWidths');
  if (given === undefined) return defaultWidths(dSae);
  const list = typeof given === 'string' ? given.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p))) : given;
  if (!Array.isArray(list)) throw fail(`must be a list of widths, got ${JSON.stringify(given)}`);
  const widths = list[list.length - 1] === dSae ? list : [...list, dSae];
  return checkWidths(widths, dSae, fail);
}

class MatryoshkaTraining extends BatchTopKTraining<MatryoshkaSettings> {
  /** The inner widths: every nested width but d_sae, whose reconstruction is the main one. */
  private readonly inner = this.s.matryoshkaWidths.split(',').map(Number).slice(0, -1);

  /** The batch's code restricted to each inner prefix: entries of later latents get value 0. */
  protected override nestedCodes(code: SparseCode): SparseCode[] {
    return this.inner.map((m) => ({ ...code, vals: tf.mul(code.vals, tf.cast(tf.less(code.cols, m), 'float32')) as tf.Tensor1D }));
  }

  override toSae(base: SaeBaseConfig, scale: number): MatryoshkaBatchTopKSae {
    const cfg: SaeConfig = {
      ...base,
      architecture: 'matryoshka_batchtopk',
      d_in: this.run.dIn,
      d_sae: this.run.dSae,
      apply_b_dec_to_input: this.s.applyBDecToInput,
      k: this.s.k,
      matryoshka_widths: this.s.matryoshkaWidths.split(',').map(Number),
    };
    const theta = Number.isNaN(this.threshold) ? 0 : this.threshold;
    return new MatryoshkaBatchTopKSae(cfg, { ...foldedWeights(this.params, scale), threshold: tf.fill([this.run.dSae], theta) as tf.Tensor1D });
  }
}

export const matryoshkaRecipe: TrainingRecipe<MatryoshkaSettings> = {
  settings: (run: RunShape, given) => ({
    ...batchTopKSettings('matryoshka_batchtopk', run, given),
    matryoshkaWidths: parseWidths(given.matryoshkaWidths, run.dSae).join(','),
  }),
  init: (rng, sample, run) => topKInit(rng, sample, run),
  create: (params, run, s) => new MatryoshkaTraining(params, run, s),
};
