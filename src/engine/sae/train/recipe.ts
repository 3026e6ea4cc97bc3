// What an architecture's file gives the training loop (train/trainer.ts): its settings with
// their defaults, its initial parameters, and a training state that computes loss and gradients
// for one batch, edits them as the recipe wants and hands over the inference SAE at the end.
// The loop itself knows no architecture.
import type * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../../shared/errors';
import type { Rng } from '../../random';
import type { Sae, SaeConfig } from '../sae';

/** The shape of a run, which defaults may depend on. */
export interface RunShape {
  dIn: number;
  dSae: number;
  steps: number;
  batchSize: number;
}

/** Settings every recipe resolves, because the loop reads them. */
export interface RecipeSettings {
  lr: number;
  adamEps: number;
  /** Global gradient-norm clip, or null for none. */
  clipGradNorm: number | null;
}

/** One setting's value as checkpoints and the catalog store it (JSON). */
export type SettingValue = number | string | boolean | null;

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

/** The cfg.json fields the loop fills in; the recipe adds architecture, shapes and its own. */
export type SaeBaseConfig = Omit<SaeConfig, 'architecture' | 'd_in' | 'd_sae' | 'apply_b_dec_to_input' | 'k'>;

/** A recipe's state over its parameters during one run. */
export interface TrainingSae {
  readonly params: Map<string, tf.Variable>;
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
  toSae(base: SaeBaseConfig, scale: number): Sae;
  dispose(): void;
}

export interface TrainingRecipe<S extends RecipeSettings> {
  /**
   * This architecture's settings for a run: its defaults, overridden by the values `given` has
   * for the same names (`given` may hold other fields; they are not read). Throws on a missing or
   * bad value, naming the field.
   */
  settings(run: RunShape, given: Readonly<Record<string, unknown>>): S;
  /** Fresh parameters. `sample` is the run's first batch, already scaled. */
  init(rng: Rng, sample: tf.Tensor2D, run: RunShape, s: S): Map<string, tf.Variable>;
  /** The training state over `params`, fresh from init or restored from a checkpoint. */
  create(params: Map<string, tf.Variable>, run: RunShape, s: S): TrainingSae;
}

/** `defaults`, with each value `given` has under the same name (undefined counts as not given). */
export function withGiven<S extends object>(defaults: S, given: Readonly<Record<string, unknown>>): S {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const key of Object.keys(defaults)) if (given[key] !== undefined) out[key] = given[key];
  return out as S;
}

/** The integer k a sparse recipe needs: given, and in [1, dSae]. */
export function requiredK(architecture: string, run: RunShape, given: Readonly<Record<string, unknown>>): number {
  const k = given.k;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > run.dSae) {
    throw new FeaturescopeError('invalid_input', `${architecture} needs an integer k in [1, dSae], got ${String(k)}`, 'k');
  }
  return k;
}
