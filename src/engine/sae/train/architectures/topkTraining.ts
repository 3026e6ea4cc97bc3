// TopK and BatchTopK training (OpenAI "Scaling and evaluating sparse autoencoders";
// Bussmann et al. for BatchTopK), with hand-written sparse gradients.
//
// With M = B·k active entries, the decoder forward, dL/df at the active entries, dW_dec and
// dW_enc are all O(M·d_in) (sparse/sparseOps.ts); only the encoder forward pre = x @ W_enc is
// dense. Autodiff would instead materialise dense [B, d_sae] gradients and two more dense
// matmuls. test/unit/sae/topkGradients.test.ts checks these gradients against tf.grads of the
// dense formulation.
//
// Loss = ‖x − x̂‖² / (B·Σ_d Var(x))                 (normalised MSE)
//      + auxCoefficient · ‖e − ê‖² / (B·Σ_d Var(e))  (AuxK, when latents are dead)
// where e = x − x̂ (held constant) and ê is decoded from the top kAux dead latents.
import * as tf from '@tensorflow/tfjs';
import { JumpReluSae } from '../../architectures/jumprelu';
import { TopKSae, topKCode } from '../../architectures/topk';
import type { Sae, SaeConfig } from '../../sae';
import { encodeTopK } from '../../sparse/encodeTopK';
import { sparseColumnSums, sparseDecode, sparseRowDots, sparseScatterOuter, type SparseCode } from '../../sparse/sparseOps';
import { foldInputScale } from '../foldScale';
import { normaliseDecoderRows, removeParallelComponent } from '../init';
import type { StepInputs, StepOutputs, TrainingArchitecture, TrainingSae } from '../trainingSae';

export interface TopKTrainingOptions {
  k: number;
  kAux: number;
  auxCoefficient: number;
  applyBDecToInput: boolean;
  /** BatchTopK: keep the top k·B pre-activations of the whole batch instead of k per token. */
  batchTopK: boolean;
  /** Rate of the running threshold that BatchTopK saves for inference. */
  thresholdRate: number;
}

// Masks non-dead latents out of the AuxK top-k (added to their pre-activations).
const NOT_DEAD_PENALTY = 1e30;

export class TopKTraining implements TrainingSae {
  readonly architecture: TrainingArchitecture;
  readonly clipGradNorm = undefined;
  /** BatchTopK's inference threshold; NaN until the first batch. */
  threshold = Number.NaN;

  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly dIn: number,
    readonly dSae: number,
    readonly o: TopKTrainingOptions,
  ) {
    this.architecture = o.batchTopK ? 'batchtopk' : 'topk';
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`missing parameter ${name}`);
    return v;
  }

  step(inputs: StepInputs): StepOutputs {
    const { x, deadMask, numDead } = inputs;
    const W_enc = this.p('W_enc'), W_dec = this.p('W_dec'), b_enc = this.p('b_enc'), b_dec = this.p('b_dec');
    const B = x.shape[0];
    let minActive = Number.NaN;
    const out = tf.tidy((): tf.TensorContainer => {
      const xc = (this.o.applyBDecToInput ? tf.sub(x, b_dec) : x) as tf.Tensor2D; // [B, d_in]
      // TopK: pre-activations are reduced to codes block by block, never held as [B, d_sae].
      // BatchTopK ranks across the batch, so it keeps the dense pre-activations.
      const pre = this.o.batchTopK ? (tf.add(tf.matMul(xc, W_enc), b_enc) as tf.Tensor2D) : undefined; // [B, d_sae]
      const kAux = Math.min(this.o.kAux, numDead);
      const encoded = pre === undefined ? encodeTopK(xc, W_enc as tf.Tensor2D, b_enc as tf.Tensor1D, this.o.k, numDead > 0 ? { deadMask, k: kAux } : undefined) : undefined;
      const code = encoded?.code ?? batchTopKCode(pre!, this.o.k);
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
      if (numDead > 0) {
        const auxCode = encoded?.auxCode ?? topKCode(tf.add(pre!, tf.mul(tf.sub(deadMask, 1), NOT_DEAD_PENALTY)) as tf.Tensor2D, kAux);
        const e = tf.neg(err); // residual x − x̂, a constant target
        const eHat = sparseDecode(auxCode, W_dec as tf.Tensor2D); // [B, d_in]
        const auxErr = tf.sub(eHat, e);
        const auxNorm = tf.mul(tf.maximum(tf.sum(tf.moments(e, 0).variance), 1e-12), B);
        const auxLoss = tf.mul(tf.div(tf.sum(tf.square(auxErr)), auxNorm), this.o.auxCoefficient);
        loss = tf.add(loss, auxLoss);
        const dEHat = tf.mul(tf.div(tf.mul(auxErr, 2), auxNorm), this.o.auxCoefficient) as tf.Tensor2D;
        parts.push(this.codeGrads(auxCode, dEHat, xc));
      }
      const sum = <T extends tf.Tensor>(key: 'W_dec' | 'W_encT' | 'b_enc'): T =>
        (parts.length === 1 ? parts[0]![key] : tf.addN(parts.map((q) => q[key]))) as T;
      const dWdec = removeParallelComponent(sum<tf.Tensor2D>('W_dec'), W_dec as tf.Tensor2D); // [d_sae, d_in]
      const dWencT = sum<tf.Tensor2D>('W_encT'); // [d_sae, d_in], handed to Adam transposed
      const dBenc = sum<tf.Tensor1D>('b_enc'); // [d_sae]
      // x̂ depends on b_dec directly, and through xc = x − b_dec: Σ_b dxc_b = W_enc @ db_enc.
      let dBdec = tf.sum(dXHat, 0); // [d_in]
      if (this.o.applyBDecToInput) dBdec = tf.sub(dBdec, tf.squeeze(tf.matMul(W_enc, tf.expandDims(dBenc, 1)), [1]));

      const minPositive = this.o.batchTopK ? tf.min(tf.where(tf.greater(code.vals, 0), code.vals, tf.fill(code.vals.shape, Infinity))) : undefined;
      if (minPositive !== undefined) minActive = minPositive.dataSync()[0]!;
      return {
        loss: loss as tf.Scalar,
        sumSquaredError: sse as tf.Scalar,
        activeCount: tf.sum(active) as tf.Scalar,
        firedCounts: sparseColumnSums({ ...code, vals: active }, this.dSae),
        grads: { W_enc: dWencT, W_dec: dWdec, b_enc: dBenc, b_dec: dBdec },
      };
    }) as unknown as StepOutputs;
    out.transposedGrads = ['W_enc'];
    if (this.o.batchTopK && Number.isFinite(minActive)) {
      this.threshold = Number.isNaN(this.threshold) ? minActive : this.threshold + this.o.thresholdRate * (minActive - this.threshold);
    }
    return out;
  }

  /** Gradients of a loss whose gradient wrt x̂-like output Σ vals·W_dec[cols] is dOut. */
  private codeGrads(code: SparseCode, dOut: tf.Tensor2D, xc: tf.Tensor2D): { W_dec: tf.Tensor2D; W_encT: tf.Tensor2D; b_enc: tf.Tensor1D } {
    const W_dec = this.p('W_dec') as tf.Tensor2D;
    const dVals = sparseRowDots(code, W_dec, dOut); // [M] dL/df at active entries
    const dPre = tf.mul(dVals, tf.cast(tf.greater(code.vals, 0), 'float32')) as tf.Tensor1D; // ReLU'
    const preCode = { ...code, vals: dPre };
    return {
      W_dec: sparseScatterOuter(code, dOut, this.dSae), // [d_sae, d_in]
      W_encT: sparseScatterOuter(preCode, xc, this.dSae), // [d_sae, d_in]
      b_enc: sparseColumnSums(preCode, this.dSae), // [d_sae]
    };
  }

  afterUpdate(): void {
    normaliseDecoderRows(this.p('W_dec'));
  }

  extraState(): Record<string, number> {
    return this.o.batchTopK ? { threshold: this.threshold } : {};
  }

  loadExtraState(state: Record<string, number>): void {
    if (this.o.batchTopK && state.threshold !== undefined) this.threshold = state.threshold;
  }

  toSae(base: Omit<SaeConfig, 'architecture' | 'd_in' | 'd_sae' | 'apply_b_dec_to_input' | 'k'>, scale: number): Sae {
    const weights = foldInputScale(
      {
        W_enc: this.p('W_enc') as tf.Tensor2D,
        W_dec: this.p('W_dec') as tf.Tensor2D,
        b_enc: this.p('b_enc') as tf.Tensor1D,
        b_dec: this.p('b_dec') as tf.Tensor1D,
      },
      scale,
    );
    const common = { ...base, d_in: this.dIn, d_sae: this.dSae, apply_b_dec_to_input: this.o.applyBDecToInput };
    if (!this.o.batchTopK) return new TopKSae({ ...common, architecture: 'topk', k: this.o.k }, weights);
    // BatchTopK saves as JumpReLU with its running threshold on every latent (it acts on
    // pre-activations, which scale folding leaves unchanged).
    const theta = Number.isNaN(this.threshold) ? 0 : this.threshold;
    return new JumpReluSae({ ...common, architecture: 'jumprelu' }, { ...weights, threshold: tf.fill([this.dSae], theta) as tf.Tensor1D });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

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
