// Standard ReLU SAE trained with the Anthropic April 2024 recipe:
//   L = mean_b ‖x − x̂‖² + λ·mean_b Σ_i f_i ‖W_dec,i‖₂
// decoder rows start in random directions with norm 0.1 and are not constrained (the penalty
// carries their norm), W_enc = W_decᵀ at start, global gradient norm clipped at 1; λ warms up
// over the first 5% and lr decays over the last 20% (schedule.ts); inputs scaled so
// E‖x‖ = √d_in (trainer).
import * as tf from '@tensorflow/tfjs';
import { StandardSae } from '../../architectures/standard';
import type { Sae, SaeConfig } from '../../sae';
import { foldInputScale } from '../foldScale';
import type { StepInputs, StepOutputs, TrainingArchitecture, TrainingSae } from '../trainingSae';
import { denseStep } from './denseTrainingBase';

export interface StandardTrainingOptions {
  l1Coefficient: number;
  applyBDecToInput: boolean;
}

export class StandardTraining implements TrainingSae {
  readonly architecture: TrainingArchitecture = 'standard';
  readonly clipGradNorm = 1;

  constructor(
    readonly params: Map<string, tf.Variable>,
    readonly dIn: number,
    readonly dSae: number,
    readonly o: StandardTrainingOptions,
  ) {}

  step(inputs: StepInputs): StepOutputs {
    const [W_enc, W_dec, b_enc, b_dec] = ['W_enc', 'W_dec', 'b_enc', 'b_dec'].map((n) => this.params.get(n)!);
    const B = inputs.x.shape[0];
    return denseStep(this.params, inputs, ({ x, lambdaFactor }) => {
      const xc = this.o.applyBDecToInput ? tf.sub(x, b_dec!) : x; // [B, d_in]
      const f = tf.relu(tf.add(tf.matMul(xc, W_enc!), b_enc!)) as tf.Tensor2D; // [B, d_sae]
      const xHat = tf.add(tf.matMul(f, W_dec!), b_dec!); // [B, d_in]
      const sse = tf.sum(tf.square(tf.sub(xHat, x))) as tf.Scalar;
      const rowNorms = tf.norm(W_dec!, 'euclidean', 1); // [d_sae]
      const penalty = tf.div(tf.sum(tf.mul(f, rowNorms)), B);
      const loss = tf.add(tf.div(sse, B), tf.mul(penalty, this.o.l1Coefficient * lambdaFactor)) as tf.Scalar;
      return { loss, sumSquaredError: sse, active: f };
    });
  }

  afterUpdate(): void {}

  extraState(): Record<string, number> {
    return {};
  }

  loadExtraState(): void {}

  toSae(base: Omit<SaeConfig, 'architecture' | 'd_in' | 'd_sae' | 'apply_b_dec_to_input' | 'k'>, scale: number): Sae {
    const p = (n: string): tf.Tensor => this.params.get(n)!;
    const weights = foldInputScale(
      { W_enc: p('W_enc') as tf.Tensor2D, W_dec: p('W_dec') as tf.Tensor2D, b_enc: p('b_enc') as tf.Tensor1D, b_dec: p('b_dec') as tf.Tensor1D },
      scale,
    );
    return new StandardSae({ ...base, architecture: 'standard', d_in: this.dIn, d_sae: this.dSae, apply_b_dec_to_input: this.o.applyBDecToInput }, weights);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
