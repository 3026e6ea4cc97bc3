// BatchTopK SAE (Bussmann et al. 2024): TopK's recipe (topk.ts) with the top k·B pre-activations
// of the whole batch active instead of k per token, so tokens share a budget of k on average. It
// learns a running threshold (the mean over batches of the smallest active value) and saves as a
// JumpReLU SAE with that threshold on every latent, so it has no inference class of its own.
import * as tf from '@tensorflow/tfjs';
import type { Sae } from '../sae';
import type { SparseCode } from '../sparse/sparseOps';
import { topKCode } from '../sparse/topkCode';
import { foldedWeights } from '../train/foldScale';
import type { RunShape, SaeBaseConfig, TrainingRecipe } from '../train/recipe';
import { withGiven } from '../train/recipe';
import { JumpReluSae } from './jumprelu';
import { TopKTraining, topKInit, topKSettings, type BatchCodes, type TopKSettings } from './topk';

export interface BatchTopKSettings extends TopKSettings {
  /** Rate of the running threshold saved for inference. */
  thresholdRate: number;
}

// Masks non-dead latents out of the AuxK top-k (added to their pre-activations).
const NOT_DEAD_PENALTY = 1e30;

export class BatchTopKTraining<S extends BatchTopKSettings = BatchTopKSettings> extends TopKTraining<S> {
  /** The inference threshold; NaN until the first batch. */
  threshold = Number.NaN;

  /** Ranks across the batch, so it keeps the dense pre-activations. */
  protected override encode(xc: tf.Tensor2D, deadMask: tf.Tensor1D, kAux: number): BatchCodes {
    const pre = tf.add(tf.matMul(xc, this.p('W_enc')), this.p('b_enc')) as tf.Tensor2D; // [B, d_sae]
    const code = batchTopKCode(pre, this.s.k);
    if (kAux === 0) return { code };
    return { code, auxCode: topKCode(tf.add(pre, tf.mul(tf.sub(deadMask, 1), NOT_DEAD_PENALTY)) as tf.Tensor2D, kAux) };
  }

  protected override observe(code: SparseCode): void {
    const minActive = tf.min(tf.where(tf.greater(code.vals, 0), code.vals, tf.fill(code.vals.shape, Infinity))).dataSync()[0]!;
    if (!Number.isFinite(minActive)) return;
    this.threshold = Number.isNaN(this.threshold) ? minActive : this.threshold + this.s.thresholdRate * (minActive - this.threshold);
  }

  override extraState(): Record<string, number> {
    return { threshold: this.threshold };
  }

  override loadExtraState(state: Record<string, number>): void {
    // A checkpoint taken before the first batch stored NaN, which JSON turns into null.
    if (typeof state.threshold === 'number') this.threshold = state.threshold;
  }

  /** As JumpReLU with the running threshold on every latent (it acts on pre-activations, which scale folding leaves unchanged). */
  override toSae(base: SaeBaseConfig, scale: number): Sae {
    const cfg = { ...base, architecture: 'jumprelu' as const, d_in: this.run.dIn, d_sae: this.run.dSae, apply_b_dec_to_input: this.s.applyBDecToInput };
    const theta = Number.isNaN(this.threshold) ? 0 : this.threshold;
    return new JumpReluSae(cfg, { ...foldedWeights(this.params, scale), threshold: tf.fill([this.run.dSae], theta) as tf.Tensor1D });
  }
}

/** BatchTopK's settings for a run (Matryoshka adds to them). */
export function batchTopKSettings(architecture: string, run: RunShape, given: Readonly<Record<string, unknown>>): BatchTopKSettings {
  return { ...topKSettings(architecture, run, given), ...withGiven({ thresholdRate: 0.01 }, given) };
}

export const batchtopkRecipe: TrainingRecipe<BatchTopKSettings> = {
  settings: (run: RunShape, given) => batchTopKSettings('batchtopk', run, given),
  init: (rng, sample, run) => topKInit(rng, sample, run),
  create: (params, run, s) => new BatchTopKTraining(params, run, s),
};

/**
 * BatchTopK code: the top k·B entries of ReLU(pre) over the whole batch. Exact, but cheap:
 * first the top c = min(d_sae, 4k) of each row, then the top k·B of those candidates. If some
 * row gave all c of its candidates, it might have had more in the global top, so we redo it
 * over the full flattened batch.
 */
export function batchTopKCode(pre: tf.Tensor2D, k: number): SparseCode {
  const [B, n] = pre.shape;
  const total = Math.min(k * B, B * n);
  const c = Math.min(n, 4 * k);
  return tf.tidy(() => {
    const rowTop = tf.topk(pre, c); // [B, c]
    const flatTop = tf.topk(tf.reshape(rowTop.values, [-1]), total); // over B·c candidates
    const rowOf = tf.floorDiv(flatTop.indices, tf.scalar(c, 'int32')) as tf.Tensor1D; // [total]
    const perRow = tf.scatterND(tf.expandDims(rowOf, 1), tf.onesLike(rowOf), [B]);
    const saturated = c < n && tf.max(perRow).dataSync()[0]! >= c;
    if (!saturated) {
      return {
        rows: rowOf,
        cols: tf.gather(tf.reshape(rowTop.indices, [-1]), flatTop.indices) as tf.Tensor1D,
        vals: tf.relu(flatTop.values) as tf.Tensor1D,
        numRows: B,
      };
    }
    const full = tf.topk(tf.reshape(pre, [-1]), total);
    const nInt = tf.scalar(n, 'int32');
    return {
      rows: tf.floorDiv(full.indices, nInt) as tf.Tensor1D,
      cols: tf.mod(full.indices, nInt) as tf.Tensor1D,
      vals: tf.relu(full.values) as tf.Tensor1D,
      numRows: B,
    };
  }) as SparseCode;
}
