// The scalar an attribution explains, read at the last position of each batch row:
// the log-probability of one next token, or the logit difference between two tokens.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';

export type AttributionMetric =
  | { kind: 'logprob'; token: number }
  | { kind: 'logit-diff'; tokenA: number; tokenB: number };

export function checkMetric(metric: AttributionMetric, vocabSize: number, field = 'metric'): void {
  const ids = metric.kind === 'logprob' ? [metric.token] : [metric.tokenA, metric.tokenB];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new FeaturescopeError('invalid_input', `${field}: token id ${id} is outside the vocabulary [0, ${vocabSize})`, field);
    }
  }
  if (metric.kind === 'logit-diff' && metric.tokenA === metric.tokenB) {
    throw new FeaturescopeError('invalid_input', `${field}: a logit difference needs two different tokens`, field);
  }
}

/**
 * The metric of every row as a [batch] tensor, differentiable (slices, no gather: tfjs-wasm has no
 * kernel for gather's gradient). logits: [batch, pos, d_vocab].
 */
export function metricPerRow(logits: tf.Tensor3D, metric: AttributionMetric): tf.Tensor1D {
  const [batch, pos, vocab] = logits.shape;
  const last = logits.slice([0, pos - 1, 0], [batch, 1, vocab]).reshape([batch, vocab]) as tf.Tensor2D; // [batch, d_vocab]
  const column = (x: tf.Tensor2D, id: number): tf.Tensor1D => x.slice([0, id], [batch, 1]).reshape([batch]);
  if (metric.kind === 'logprob') return column(tf.logSoftmax(last), metric.token);
  return column(last, metric.tokenA).sub(column(last, metric.tokenB));
}
