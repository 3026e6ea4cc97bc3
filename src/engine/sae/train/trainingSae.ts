// What the trainer needs from an architecture's training recipe: parameters, loss and
// gradients for one batch, recipe-specific gradient edits, and the inference SAE at the end.
import type * as tf from '@tensorflow/tfjs';
import type { Sae, SaeConfig } from '../sae';

export type TrainingArchitecture = 'standard' | 'topk' | 'batchtopk' | 'jumprelu';

export interface StepInputs {
  /** Scaled activations [B, d_in]. */
  x: tf.Tensor2D;
  /** Multiplier in [0, 1] on the sparsity coefficient (λ warm-up). */
  lambdaFactor: number;
  /** Latents that have not fired in the last N tokens, [d_sae] float 0/1 (AuxK). */
  deadMask: tf.Tensor1D;
  numDead: number;
}

export interface StepOutputs {
  /** Total loss (scalar). */
  loss: tf.Scalar;
  /** Σ‖x − x̂‖² over the batch (scalar), for mse and explained variance. */
  sumSquaredError: tf.Scalar;
  /** Number of active latents in the batch (scalar); l0 = this / B. */
  activeCount: tf.Scalar;
  /** How often each latent fired in the batch, [d_sae]. */
  firedCounts: tf.Tensor1D;
  /** Gradient of the loss per parameter name (a plain object so tf.tidy can keep it). */
  grads: Record<string, tf.Tensor>;
  /** Names whose gradient is given as the transpose of its 2-D parameter (saves a transpose). */
  transposedGrads?: readonly string[];
}

export interface TrainingSae {
  readonly architecture: TrainingArchitecture;
  readonly params: Map<string, tf.Variable>;
  /** Whether the global gradient norm is clipped at 1 (relu-l1 recipe). */
  readonly clipGradNorm: number | undefined;
  step(inputs: StepInputs): StepOutputs;
  /** Called after the optimizer update (e.g. renormalise decoder rows). */
  afterUpdate(outputs: StepOutputs): void;
  /** Extra scalar state that checkpoints must carry (e.g. a running threshold). */
  extraState(): Record<string, number>;
  loadExtraState(state: Record<string, number>): void;
  /**
   * The inference SAE in raw activation units. `scale` is the factor inputs were multiplied by
   * during training; it is folded into the weights (see foldScale.ts).
   */
  toSae(cfg: Omit<SaeConfig, 'architecture' | 'd_in' | 'd_sae' | 'apply_b_dec_to_input' | 'k'>, scale: number): Sae;
  dispose(): void;
}
