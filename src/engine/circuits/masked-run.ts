// Runs of the model with a mask over its nodes. A masked node's activation is replaced by its
// ablation value (its mean, or 0): act' = ablated + m · (act − ablated), m ∈ {0, 1} per node.
// During training m = step(τ > 0) forward, and backward takes the derivative of sigmoid(τ)
// (a straight-through estimator), so a node that is off still learns whether it is needed.
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../model';
import type { HookBinding } from '../model/interventions';
import type { NodeSite } from './nodes';
import type { TaskBatch } from './task-batches';

/** step(τ > 0) forward; sigmoid(τ)·(1 − sigmoid(τ)) backward. */
export const straightThroughStep = tf.customGrad((...args: unknown[]) => {
  const t = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  save([t]);
  return {
    value: t.greater(0).toFloat(),
    gradFunc: (dy, saved) => {
      const s = tf.sigmoid(saved[0] as tf.Tensor);
      return (dy as tf.Tensor).mul(s.mul(tf.scalar(1).sub(s)));
    },
  };
}) as unknown as (tau: tf.Tensor) => tf.Tensor;

/** One hook per site; `mask` is the flat [nodes] mask, `ablated` the flat [nodes] ablation values. */
export function maskHooks(sites: NodeSite[], mask: tf.Tensor1D, ablated: tf.Tensor1D): HookBinding[] {
  return sites.map((site) => ({
    hook: site.hook,
    fn: (act) => {
      const m = mask.slice(site.offset, site.width); // [width]
      const a = ablated.slice(site.offset, site.width); // [width]
      return a.add(m.mul(act.sub(a))); // [batch, pos, width]
    },
  }));
}

/** Last-position logits of each batch under the hooks, [examples, vocab] in batch order. */
export function lastLogits(model: LoadedModel, batches: TaskBatch[], hooks: HookBinding[]): tf.Tensor2D {
  const parts = batches.map((b) => {
    const { logits, captured } = model.run(b.tokens, { hooks, lastPositionOnly: true });
    for (const t of captured.values()) t.dispose();
    return logits.reshape([b.tokens.length, model.config.vocabSize]) as tf.Tensor2D;
  });
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
}

/**
 * logit(target) − logit(alternative) per example, [examples], from lastLogits' rows: a product
 * with ±1 one-hot rows, not a gather (gather's gradient needs a kernel the wasm backend lacks).
 */
export function margins(logits: tf.Tensor2D, batches: TaskBatch[]): tf.Tensor1D {
  const vocab = logits.shape[1];
  const targets = batches.flatMap((b) => b.target);
  const alternatives = batches.flatMap((b) => b.alternative);
  const sign = tf.oneHot(tf.tensor1d(targets, 'int32'), vocab).sub(tf.oneHot(tf.tensor1d(alternatives, 'int32'), vocab)).toFloat(); // [examples, vocab]
  return logits.mul(sign).sum(1) as tf.Tensor1D;
}

/** The task loss of each example: two-way cross-entropy softplus(−margin), in nats. */
export const exampleLosses = (m: tf.Tensor1D): tf.Tensor1D => tf.softplus(m.neg()) as tf.Tensor1D;
