// JumpReLU SAE (Rajamanoharan et al. 2024, Gemma Scope): f = pre · H(pre − θ), with a learned
// per-latent threshold θ (batchtopk SAEs also save as this, with their learned global threshold).
// Training: L = mean_b ‖x − x̂‖² + λ·mean_b Σ_i H(pre_i − θ_i).
// H has zero gradient almost everywhere, so θ (trained as log θ) gets straight-through
// pseudo-derivatives with a rectangle kernel K(u) = 1{|u| < ½} of bandwidth ε:
//   ∂(pre·H(pre−θ))/∂θ ≈ −(θ/ε)·K((pre−θ)/ε),   ∂H(pre−θ)/∂θ ≈ −(1/ε)·K((pre−θ)/ε)
// and pre gets H(pre−θ) from the first and nothing from the second. Decoder rows are kept at
// unit norm with the parallel gradient component removed; gradients clipped at norm 1.
import * as tf from '@tensorflow/tfjs';
import { Sae, type ExtraWeight } from '../sae';
import { denseStep } from '../train/denseStep';
import { foldedWeights } from '../train/foldScale';
import { normaliseDecoderRows, removeParallelComponent, tiedParams } from '../train/init';
import { withGiven, type RunShape, type SaeBaseConfig, type StepInputs, type StepOutputs, type TrainingRecipe, type TrainingSae } from '../train/recipe';

export class JumpReluSae extends Sae {
  static override readonly extraWeights: readonly ExtraWeight[] = ['threshold'];

  protected activate(pre: tf.Tensor2D): tf.Tensor2D {
    const threshold = this.weights.threshold as tf.Tensor1D; // [d_sae], checked in the constructor
    return tf.tidy(() => tf.mul(tf.relu(pre), tf.cast(tf.greater(pre, threshold), 'float32')) as tf.Tensor2D);
  }
}

export interface JumpReluSettings {
  lr: number;
  adamEps: number;
  clipGradNorm: number | null;
  l0Coefficient: number;
  /** Width ε of the rectangle kernel of the straight-through estimator. */
  bandwidth: number;
  /** θ of every latent at start. */
  initThreshold: number;
  applyBDecToInput: boolean;
}

function rectangle(u: tf.Tensor): tf.Tensor {
  return tf.cast(tf.less(tf.abs(u), 0.5), 'float32');
}

/** pre · H(pre − θ) with the straight-through θ gradient. pre [B, n], θ [n]. */
export function jumpRelu(pre: tf.Tensor2D, theta: tf.Tensor1D, bandwidth: number): tf.Tensor2D {
  const op = tf.customGrad(((p: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([p, t]);
    const value = tf.mul(p, tf.cast(tf.greater(p, t), 'float32'));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sp, st] = saved as [tf.Tensor, tf.Tensor];
      const gate = tf.cast(tf.greater(sp, st), 'float32');
      const kernel = rectangle(tf.div(tf.sub(sp, st), bandwidth));
      const dTheta = tf.sum(tf.mul(tf.mul(dy, kernel), tf.div(tf.neg(st), bandwidth)), 0); // [n]
      return [tf.mul(dy, gate), dTheta];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(pre, theta) as tf.Tensor2D;
}

/** H(pre − θ) with the straight-through θ gradient and none for pre. */
export function heavisideStep(pre: tf.Tensor2D, theta: tf.Tensor1D, bandwidth: number): tf.Tensor2D {
  const op = tf.customGrad(((p: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([p, t]);
    const value = tf.cast(tf.greater(p, t), 'float32');
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sp, st] = saved as [tf.Tensor, tf.Tensor];
      const kernel = rectangle(tf.div(tf.sub(sp, st), bandwidth));
      return [tf.zerosLike(sp), tf.sum(tf.mul(tf.mul(dy, kernel), -1 / bandwidth), 0)];
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(pre, theta) as tf.Tensor2D;
}

class JumpReluTraining implements TrainingSae {
  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly run: RunShape,
    readonly s: JumpReluSettings,
  ) {}

  step(inputs: StepInputs): StepOutputs {
    const [W_enc, W_dec, b_enc, b_dec, logTheta] = ['W_enc', 'W_dec', 'b_enc', 'b_dec', 'log_threshold'].map((n) => this.params.get(n)!);
    const B = inputs.x.shape[0];
    const out = denseStep(this.params, inputs, ({ x, lambdaFactor }) => {
      const xc = this.s.applyBDecToInput ? tf.sub(x, b_dec!) : x; // [B, d_in]
      const pre = tf.add(tf.matMul(xc, W_enc!), b_enc!) as tf.Tensor2D; // [B, d_sae]
      const theta = tf.exp(logTheta!) as tf.Tensor1D; // [d_sae]
      const f = jumpRelu(pre, theta, this.s.bandwidth); // [B, d_sae]
      const xHat = tf.add(tf.matMul(f, W_dec!), b_dec!);
      const sse = tf.sum(tf.square(tf.sub(xHat, x))) as tf.Scalar;
      const l0 = tf.div(tf.sum(heavisideStep(pre, theta, this.s.bandwidth)), B);
      const loss = tf.add(tf.div(sse, B), tf.mul(l0, this.s.l0Coefficient * lambdaFactor)) as tf.Scalar;
      return { loss, sumSquaredError: sse, active: f };
    });
    const g = out.grads.W_dec;
    if (g !== undefined) {
      out.grads.W_dec = removeParallelComponent(g as tf.Tensor2D, W_dec as tf.Tensor2D);
      g.dispose();
    }
    return out;
  }

  afterUpdate(): void {
    normaliseDecoderRows(this.params.get('W_dec')!);
  }

  extraState(): Record<string, number> {
    return {};
  }

  loadExtraState(): void {}

  toSae(base: SaeBaseConfig, scale: number): Sae {
    const threshold = tf.exp(this.params.get('log_threshold')!) as tf.Tensor1D; // θ acts on pre-activations: no scale to fold
    const cfg = { ...base, architecture: 'jumprelu' as const, d_in: this.run.dIn, d_sae: this.run.dSae, apply_b_dec_to_input: this.s.applyBDecToInput };
    return new JumpReluSae(cfg, { ...foldedWeights(this.params, scale), threshold });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

export const jumpreluRecipe: TrainingRecipe<JumpReluSettings> = {
  settings: (_run, given) =>
    withGiven<JumpReluSettings>({ lr: 7e-5, adamEps: 1e-8, clipGradNorm: 1, l0Coefficient: 1e-3, bandwidth: 1e-3, initThreshold: 1e-3, applyBDecToInput: false }, given),
  init: (rng, _sample, run, s) => {
    const params = tiedParams(rng, run.dIn, run.dSae, 1);
    params.set('log_threshold', tf.tidy(() => tf.variable(tf.fill([run.dSae], Math.log(s.initThreshold)), true)));
    return params;
  },
  create: (params, run, s) => new JumpReluTraining(params, run, s),
};
