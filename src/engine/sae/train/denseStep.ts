// Shared part of the dense recipes (standard relu-l1, jumprelu): the loss is written in tfjs
// ops and differentiated by tf.variableGrads. These architectures have no fixed sparsity, so
// their codes are dense [B, d_sae] anyway.
import * as tf from '@tensorflow/tfjs';
import type { StepInputs, StepOutputs } from './recipe';

export interface DenseForward {
  loss: tf.Scalar;
  sumSquaredError: tf.Scalar;
  /** Feature activations [B, d_sae] (non-zero = active). */
  active: tf.Tensor2D;
}

export function denseStep(
  params: Map<string, tf.Variable>,
  inputs: StepInputs,
  forward: (inputs: StepInputs) => DenseForward,
): StepOutputs {
  let side: { sse: tf.Scalar; activeCount: tf.Scalar; firedCounts: tf.Tensor1D } | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const f = forward(inputs);
    // tf.keep: these side results must outlive the gradient tape's scope.
    side = tf.tidy(() => {
      const fired = tf.cast(tf.notEqual(f.active, 0), 'float32'); // [B, d_sae]
      return {
        sse: tf.keep(tf.clone(f.sumSquaredError)) as tf.Scalar,
        activeCount: tf.keep(tf.sum(fired)) as tf.Scalar,
        firedCounts: tf.keep(tf.sum(fired, 0)) as tf.Tensor1D,
      };
    });
    return f.loss;
  }, [...params.values()]);
  if (side === undefined) throw new Error('dense step produced no side outputs');
  // variableGrads keys gradients by variable name; map them back to parameter names.
  const byName: Record<string, tf.Tensor> = {};
  for (const [name, v] of params) {
    const g = grads[v.name];
    if (g !== undefined) byName[name] = g;
  }
  return { loss: value, sumSquaredError: side.sse, activeCount: side.activeCount, firedCounts: side.firedCounts, grads: byName };
}
