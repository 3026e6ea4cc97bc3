// Standard (ReLU) SAE: f = ReLU(pre), trained with the Anthropic April 2024 recipe:
//   L = mean_b ‖x − x̂‖² + λ·mean_b Σ_i f_i ‖W_dec,i‖₂
// decoder rows start in random directions with norm 0.1 and are not constrained (the penalty
// carries their norm), W_enc = W_decᵀ at start, global gradient norm clipped at 1; λ warms up
// over the first 5% and lr decays over the last 20% (train/schedule.ts); inputs scaled so
// E‖x‖ = √d_in (the trainer).
import * as tf from '@tensorflow/tfjs';
import { Sae } from '../sae';
import { denseStep } from '../train/denseStep';
import { foldedWeights } from '../train/foldScale';
import { tiedParams } from '../train/init';
import { withGiven, type StepInputs, type StepOutputs, type TrainingRecipe, type TrainingSae, type SaeBaseConfig, type RunShape } from '../train/recipe';

export class StandardSae extends Sae {
  protected activate(pre: tf.Tensor2D): tf.Tensor2D {
    return tf.relu(pre);
  }
}

export interface StandardSettings {
  lr: number;
  adamEps: number;
  clipGradNorm: number | null;
  l1Coefficient: number;
  /** L2 norm of each decoder row at start. */
  decoderInitNorm: number;
  applyBDecToInput: boolean;
}

class StandardTraining implements TrainingSae {
  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly run: RunShape,
    readonly s: StandardSettings,
  ) {}

  step(inputs: StepInputs): StepOutputs {
    const [W_enc, W_dec, b_enc, b_dec] = ['W_enc', 'W_dec', 'b_enc', 'b_dec'].map((n) => this.params.get(n)!);
    const B = inputs.x.shape[0];
    return denseStep(this.params, inputs, ({ x, lambdaFactor }) => {
      const xc = this.s.applyBDecToInput ? tf.sub(x, b_dec!) : x; // [B, d_in]
      const f = tf.relu(tf.add(tf.matMul(xc, W_enc!), b_enc!)) as tf.Tensor2D; // [B, d_sae]
      const xHat = tf.add(tf.matMul(f, W_dec!), b_dec!); // [B, d_in]
      const sse = tf.sum(tf.square(tf.sub(xHat, x))) as tf.Scalar;
      const rowNorms = tf.norm(W_dec!, 'euclidean', 1); // [d_sae]
      const penalty = tf.div(tf.sum(tf.mul(f, rowNorms)), B);
      const loss = tf.add(tf.div(sse, B), tf.mul(penalty, this.s.l1Coefficient * lambdaFactor)) as tf.Scalar;
      return { loss, sumSquaredError: sse, active: f };
    });
  }

  afterUpdate(): void {}

  extraState(): Record<string, number> {
    return {};
  }

  loadExtraState(): void {}

  toSae(base: SaeBaseConfig, scale: number): Sae {
    const cfg = { ...base, architecture: 'standard' as const, d_in: this.run.dIn, d_sae: this.run.dSae, apply_b_dec_to_input: this.s.applyBDecToInput };
    return new StandardSae(cfg, foldedWeights(this.params, scale));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

export const standardRecipe: TrainingRecipe<StandardSettings> = {
  settings: (_run, given) =>
    withGiven<StandardSettings>({ lr: 5e-5, adamEps: 1e-8, clipGradNorm: 1, l1Coefficient: 5, decoderInitNorm: 0.1, applyBDecToInput: false }, given),
  init: (rng, _sample, run, s) => tiedParams(rng, run.dIn, run.dSae, s.decoderInitNorm),
  create: (params, run, s) => new StandardTraining(params, run, s),
};
