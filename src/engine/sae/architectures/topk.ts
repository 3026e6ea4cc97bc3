// TopK SAE (OpenAI "Scaling and evaluating sparse autoencoders"): f = ReLU(TopK_k(pre)); every
// other latent is 0. Trained with hand-written sparse gradients: with M = B·k active entries, the
// decoder forward, dL/df at the active entries, dW_dec and dW_enc are all O(M·d_in)
// (sparse/sparseOps.ts); only the encoder forward pre = x @ W_enc is dense. Autodiff would instead
// materialise dense [B, d_sae] gradients and two more dense matmuls.
// test/unit/sae/topkGradients.test.ts checks these gradients against tf.grads of the dense
// formulation.
//
// Loss = ‖x − x̂‖² / (B·Σ_d Var(x))                 (normalised MSE)
//      + auxCoefficient · ‖e − ê‖² / (B·Σ_d Var(e))  (AuxK, when latents are dead)
// where e = x − x̂ (held constant) and ê is decoded from the top kAux dead latents. Decoder rows
// are kept at unit norm with the parallel gradient component removed; b_dec starts at the
// geometric median of the first batch; lr ≈ 2e-4 / √(d_sae / 2^14). BatchTopK (batchtopk.ts)
// is this recipe with another selection of the active latents; Matryoshka (matryoshka.ts) adds
// the reconstructions of nested prefixes (nestedCodes) to the loss.
import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import type { Rng } from '../../random';
import { Sae, type ExtraCfgField, type SaeConfig, type SaeWeights } from '../sae';
import { encodeTopK } from '../sparse/encodeTopK';
import { sparseColumnSums, sparseDecode, sparseRowDots, sparseScatterOuter, type SparseCode } from '../sparse/sparseOps';
import { topKCode } from '../sparse/topkCode';
import { foldedWeights } from '../train/foldScale';
import { geometricMedian, normaliseDecoderRows, removeParallelComponent, tiedParams } from '../train/init';
import { requiredK, withGiven, type RunShape, type SaeBaseConfig, type StepInputs, type StepOutputs, type TrainingRecipe, type TrainingSae } from '../train/recipe';

export class TopKSae extends Sae {
  static override readonly cfgFields: readonly ExtraCfgField[] = ['k'];
  readonly k: number;

  constructor(cfg: SaeConfig, weights: SaeWeights) {
    super(cfg, weights);
    const k = cfg.k;
    if (k === undefined || !Number.isInteger(k) || k < 1 || k > cfg.d_sae) {
      throw new FeaturescopeError('bad_file', `topk SAE needs an integer k in [1, d_sae=${cfg.d_sae}], got ${String(k)}`, 'k');
    }
    this.k = k;
  }

  protected activate(pre: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const code = topKCode(pre, this.k);
      const n = pre.shape[0];
      return tf.scatterND(tf.stack([code.rows, code.cols], 1), code.vals, [n, this.cfg.d_sae]) as tf.Tensor2D;
    });
  }
}

export interface TopKSettings {
  lr: number;
  adamEps: number;
  clipGradNorm: number | null;
  /** Active latents per token. */
  k: number;
  /** Dead latents AuxK reconstructs the residual from. */
  kAux: number;
  auxCoefficient: number;
  applyBDecToInput: boolean;
}

/** The codes of one batch: the active latents, and (when latents are dead) AuxK's. */
export interface BatchCodes {
  code: SparseCode;
  auxCode?: SparseCode;
}

/** The selection BatchTopK replaces; the loss, gradients and decoder constraint are shared. */
export class TopKTraining<S extends TopKSettings = TopKSettings> implements TrainingSae {
  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly run: RunShape,
    readonly s: S,
  ) {}

  protected p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`missing parameter ${name}`);
    return v;
  }

  /**
   * TopK: pre-activations are reduced to codes block by block, never held as [B, d_sae].
   * `kAux` > 0 asks for the AuxK code too, over the latents `deadMask` marks.
   */
  protected encode(xc: tf.Tensor2D, deadMask: tf.Tensor1D, kAux: number): BatchCodes {
    return encodeTopK(xc, this.p('W_enc') as tf.Tensor2D, this.p('b_enc') as tf.Tensor1D, this.s.k, kAux > 0 ? { deadMask, k: kAux } : undefined);
  }

  /** Sees each batch's code inside the step (BatchTopK tracks its threshold). */
  protected observe(_code: SparseCode): void {}

  /**
   * Codes of further reconstructions whose normalised MSE is added to the loss, each decoded with
   * b_dec like the full one (Matryoshka: the code restricted to each nested prefix). None here.
   */
  protected nestedCodes(_code: SparseCode): SparseCode[] {
    return [];
  }

  step(inputs: StepInputs): StepOutputs {
    const { x, deadMask, numDead } = inputs;
    const W_enc = this.p('W_enc'), W_dec = this.p('W_dec'), b_dec = this.p('b_dec');
    const B = x.shape[0];
    const out = tf.tidy((): tf.TensorContainer => {
      const xc = (this.s.applyBDecToInput ? tf.sub(x, b_dec) : x) as tf.Tensor2D; // [B, d_in]
      const kAux = numDead > 0 ? Math.min(this.s.kAux, numDead) : 0;
      const { code, auxCode } = this.encode(xc, deadMask, kAux);
      const xHat = tf.add(sparseDecode(code, W_dec as tf.Tensor2D), b_dec) as tf.Tensor2D; // [B, d_in]
      const err = tf.sub(xHat, x); // [B, d_in]
      const sse = tf.sum(tf.square(err));
      const totalVar = tf.sum(tf.moments(x, 0).variance); // Σ_d Var(x)
      const norm = tf.mul(totalVar, B);
      const loss0 = tf.div(sse, norm);
      const dXHat = tf.div(tf.mul(err, 2), norm) as tf.Tensor2D; // [B, d_in]

      const active = tf.cast(tf.greater(code.vals, 0), 'float32') as tf.Tensor1D; // [M]
      const parts = [this.codeGrads(code, dXHat, xc)];
      let loss = loss0;
      let dBdec = tf.sum(dXHat, 0); // [d_in]: x̂ depends on b_dec directly
      for (const nested of this.nestedCodes(code)) {
        const nestedErr = tf.sub(tf.add(sparseDecode(nested, W_dec as tf.Tensor2D), b_dec), x); // [B, d_in]
        loss = tf.add(loss, tf.div(tf.sum(tf.square(nestedErr)), norm));
        const dNested = tf.div(tf.mul(nestedErr, 2), norm) as tf.Tensor2D;
        parts.push(this.codeGrads(nested, dNested, xc));
        dBdec = tf.add(dBdec, tf.sum(dNested, 0));
      }
      if (auxCode !== undefined) {
        const e = tf.neg(err); // residual x − x̂, a constant target
        const eHat = sparseDecode(auxCode, W_dec as tf.Tensor2D); // [B, d_in]
        const auxErr = tf.sub(eHat, e);
        const auxNorm = tf.mul(tf.maximum(tf.sum(tf.moments(e, 0).variance), 1e-12), B);
        const auxLoss = tf.mul(tf.div(tf.sum(tf.square(auxErr)), auxNorm), this.s.auxCoefficient);
        loss = tf.add(loss, auxLoss);
        const dEHat = tf.mul(tf.div(tf.mul(auxErr, 2), auxNorm), this.s.auxCoefficient) as tf.Tensor2D;
        parts.push(this.codeGrads(auxCode, dEHat, xc));
      }
      const sum = <T extends tf.Tensor>(key: 'W_dec' | 'W_encT' | 'b_enc'): T =>
        (parts.length === 1 ? parts[0]![key] : tf.addN(parts.map((q) => q[key]))) as T;
      const dWdec = removeParallelComponent(sum<tf.Tensor2D>('W_dec'), W_dec as tf.Tensor2D); // [d_sae, d_in]
      const dWencT = sum<tf.Tensor2D>('W_encT'); // [d_sae, d_in], handed to Adam transposed
      const dBenc = sum<tf.Tensor1D>('b_enc'); // [d_sae]
      // ... and through xc = x − b_dec: Σ_b dxc_b = W_enc @ db_enc.
      if (this.s.applyBDecToInput) dBdec = tf.sub(dBdec, tf.squeeze(tf.matMul(W_enc, tf.expandDims(dBenc, 1)), [1]));

      this.observe(code);
      return {
        loss: loss as tf.Scalar,
        sumSquaredError: sse as tf.Scalar,
        activeCount: tf.sum(active) as tf.Scalar,
        firedCounts: sparseColumnSums({ ...code, vals: active }, this.run.dSae),
        grads: { W_enc: dWencT, W_dec: dWdec, b_enc: dBenc, b_dec: dBdec },
      };
    }) as unknown as StepOutputs;
    out.transposedGrads = ['W_enc'];
    return out;
  }

  /** Gradients of a loss whose gradient wrt x̂-like output Σ vals·W_dec[cols] is dOut. */
  private codeGrads(code: SparseCode, dOut: tf.Tensor2D, xc: tf.Tensor2D): { W_dec: tf.Tensor2D; W_encT: tf.Tensor2D; b_enc: tf.Tensor1D } {
    const W_dec = this.p('W_dec') as tf.Tensor2D;
    const dVals = sparseRowDots(code, W_dec, dOut); // [M] dL/df at active entries
    const dPre = tf.mul(dVals, tf.cast(tf.greater(code.vals, 0), 'float32')) as tf.Tensor1D; // ReLU'
    const preCode = { ...code, vals: dPre };
    return {
      W_dec: sparseScatterOuter(code, dOut, this.run.dSae), // [d_sae, d_in]
      W_encT: sparseScatterOuter(preCode, xc, this.run.dSae), // [d_sae, d_in]
      b_enc: sparseColumnSums(preCode, this.run.dSae), // [d_sae]
    };
  }

  afterUpdate(): void {
    normaliseDecoderRows(this.p('W_dec'));
  }

  extraState(): Record<string, number> {
    return {};
  }

  loadExtraState(_state: Record<string, number>): void {}

  toSae(base: SaeBaseConfig, scale: number): Sae {
    const cfg = { ...base, architecture: 'topk' as const, d_in: this.run.dIn, d_sae: this.run.dSae, apply_b_dec_to_input: this.s.applyBDecToInput, k: this.s.k };
    return new TopKSae(cfg, foldedWeights(this.params, scale));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

/** TopK's settings for a run (BatchTopK adds to them). */
export function topKSettings(architecture: string, run: RunShape, given: Readonly<Record<string, unknown>>): TopKSettings {
  const defaults = {
    lr: 2e-4 / Math.sqrt(run.dSae / 2 ** 14),
    adamEps: 6.25e-10,
    clipGradNorm: null,
    kAux: Math.max(1, Math.floor(run.dIn / 2)),
    auxCoefficient: 1 / 32,
    applyBDecToInput: true,
  };
  return { ...withGiven<Omit<TopKSettings, 'k'>>(defaults, given), k: requiredK(architecture, run, given) };
}

/** Tied unit-norm decoder rows, b_dec at the geometric median of the first (scaled) batch. */
export function topKInit(rng: Rng, sample: tf.Tensor2D, run: RunShape): Map<string, tf.Variable> {
  const params = tiedParams(rng, run.dIn, run.dSae, 1);
  tf.tidy(() => params.get('b_dec')!.assign(geometricMedian(sample)));
  return params;
}

export const topkRecipe: TrainingRecipe<TopKSettings> = {
  settings: (run, given) => topKSettings('topk', run, given),
  init: (rng, sample, run) => topKInit(rng, sample, run),
  create: (params, run, s) => new TopKTraining(params, run, s),
};
