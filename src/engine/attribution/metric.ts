// The scalar an attribution explains. For one-token targets it is read at the last position of
// each batch row: the log-probability of the next token, or the logit difference of two tokens.
// A target of several tokens (" his" is "▁h" "is" for a small-vocabulary Llama) is a
// continuation: its tokens are appended to the prompt and the metric is the teacher-forced sum
// Σ_j log p(c_j | prompt, c_<j), read from one forward over prompt + c[0..k-1). A difference of
// two continuations is Σ log p(A) − Σ log p(B); for one token each that equals logit(A) − logit(B)
// (the log-softmax normaliser cancels), which stays the formula for one-token pairs.
//
// The prompt's units are what attribution edits: on the appended positions every hook runs
// clean, so a unit's score is its effect, at the prompt, on the continuation's probability (and
// positions, perPosition and patch prompts keep the prompt's length). One consequence: when A
// and B share their first token (" his" and " her" are both "▁h" …), that token cancels, and a
// last-layer unit, which reaches later positions through no attention, scores (and measures) 0.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model/load';
import type { HookBinding } from '../model/interventions';

export type AttributionMetric =
  | { kind: 'logprob'; token: number }
  | { kind: 'logit-diff'; tokenA: number; tokenB: number }
  /** Σ log p of a continuation of two or more tokens after the prompt. */
  | { kind: 'continuation-logprob'; tokens: number[] }
  /** Σ log p(tokensA) − Σ log p(tokensB), each teacher-forced after the prompt. */
  | { kind: 'continuation-diff'; tokensA: number[]; tokensB: number[] };

/** Longest continuation a metric appends (each token is a position the forward has to run). */
export const MAX_CONTINUATION_TOKENS = 128;

/** log p(tokens): a one-token target keeps the one-token metric; longer ones are continuations. */
export function logprobMetric(tokens: number[]): AttributionMetric {
  return tokens.length === 1 ? { kind: 'logprob', token: tokens[0] as number } : { kind: 'continuation-logprob', tokens };
}

/** A minus B: the logit difference when both are one token, else the continuations' log-probabilities. */
export function differenceMetric(tokensA: number[], tokensB: number[]): AttributionMetric {
  return tokensA.length === 1 && tokensB.length === 1 ? { kind: 'logit-diff', tokenA: tokensA[0] as number, tokenB: tokensB[0] as number } : { kind: 'continuation-diff', tokensA, tokensB };
}

/** The token sequences a metric reads after the prompt (one token each for the one-token kinds). */
export function metricTargets(metric: AttributionMetric): number[][] {
  switch (metric.kind) {
    case 'logprob':
      return [[metric.token]];
    case 'logit-diff':
      return [[metric.tokenA], [metric.tokenB]];
    case 'continuation-logprob':
      return [metric.tokens];
    case 'continuation-diff':
      return [metric.tokensA, metric.tokensB];
  }
}

const isContinuation = (metric: AttributionMetric): metric is Extract<AttributionMetric, { kind: 'continuation-logprob' | 'continuation-diff' }> =>
  metric.kind === 'continuation-logprob' || metric.kind === 'continuation-diff';

export function checkMetric(metric: AttributionMetric, vocabSize: number, field = 'metric'): void {
  const targets = metricTargets(metric);
  for (const tokens of targets) {
    if (!Array.isArray(tokens) || tokens.length === 0) throw new FeaturescopeError('invalid_input', `${field}: a target needs at least one token`, field);
    if (tokens.length > MAX_CONTINUATION_TOKENS) {
      throw new FeaturescopeError('invalid_input', `${field}: a target of ${tokens.length} tokens is longer than the ${MAX_CONTINUATION_TOKENS} a metric reads`, field);
    }
    for (const id of tokens) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new FeaturescopeError('invalid_input', `${field}: token id ${id} is outside the vocabulary [0, ${vocabSize})`, field);
      }
    }
  }
  if (metric.kind === 'logit-diff' && metric.tokenA === metric.tokenB) {
    throw new FeaturescopeError('invalid_input', `${field}: a logit difference needs two different tokens`, field);
  }
  if (metric.kind === 'continuation-diff' && metric.tokensA.join() === metric.tokensB.join()) {
    throw new FeaturescopeError('invalid_input', `${field}: a difference needs two different targets`, field);
  }
}

/** Positions a run of `promptLength` tokens needs for this metric (a continuation adds k − 1). */
export function metricPositions(metric: AttributionMetric, promptLength: number): number {
  return promptLength + Math.max(...metricTargets(metric).map((t) => t.length)) - 1;
}

/**
 * The metric of every row as a [batch] tensor, differentiable (slices, no gather: tfjs-wasm has no
 * kernel for gather's gradient). logits: [batch, pos, d_vocab]. One-token kinds only: a
 * continuation needs its own forward (runMetric).
 */
export function metricPerRow(logits: tf.Tensor3D, metric: AttributionMetric): tf.Tensor1D {
  const [batch, pos, vocab] = logits.shape;
  const last = logits.slice([0, pos - 1, 0], [batch, 1, vocab]).reshape([batch, vocab]) as tf.Tensor2D; // [batch, d_vocab]
  const column = (x: tf.Tensor2D, id: number): tf.Tensor1D => x.slice([0, id], [batch, 1]).reshape([batch]);
  if (metric.kind === 'logprob') return column(tf.logSoftmax(last), metric.token);
  if (metric.kind === 'logit-diff') return column(last, metric.tokenA).sub(column(last, metric.tokenB));
  throw new FeaturescopeError('internal', `metricPerRow reads one-token metrics, not ${metric.kind}`);
}

/**
 * Runs the rows (copies of one prompt, or prompts of one length) with `hooks` and returns the
 * metric of each row, [rows], differentiable. One-token metrics: one forward, last position only.
 * Continuations: one forward per target over prompt + target[0..k−1), the hooks applied to the
 * prompt's positions only.
 */
export function runMetric(model: LoadedModel, rows: number[][], hooks: HookBinding[], metric: AttributionMetric): tf.Tensor1D {
  if (!isContinuation(metric)) {
    const { logits, captured } = model.run(rows, { hooks, lastPositionOnly: true });
    for (const t of captured.values()) t.dispose();
    return metricPerRow(logits, metric);
  }
  const pos = rows[0]?.length ?? 0;
  const promptOnly = hooks.map((h): HookBinding => ({ hook: h.hook, fn: (act, ctx) => editPromptPositions(act, pos, (prompt) => h.fn(prompt, ctx)) }));
  const logProb = (tokens: number[]): tf.Tensor1D => {
    const appended = tokens.slice(0, -1);
    const { logits, captured } = model.run(
      rows.map((r) => [...r, ...appended]),
      { hooks: promptOnly },
    );
    for (const t of captured.values()) t.dispose();
    return continuationLogProb(logits, pos, tokens);
  };
  if (metric.kind === 'continuation-logprob') return logProb(metric.tokens);
  return logProb(metric.tokensA).sub(logProb(metric.tokensB));
}

/**
 * Σ_j log p(tokens[j]) read at positions pos − 1 + j of logits [batch, pos + k − 1, d_vocab]:
 * the teacher-forced log-probability of the continuation, [batch].
 */
export function continuationLogProb(logits: tf.Tensor3D, pos: number, tokens: number[]): tf.Tensor1D {
  const [batch, , vocab] = logits.shape;
  const k = tokens.length;
  const logProbs = tf.logSoftmax(logits.slice([0, pos - 1, 0], [batch, k, vocab])); // [batch, k, d_vocab]
  const picked = tokens.map((id, j) => logProbs.slice([0, j, id], [batch, 1, 1]).reshape([batch]));
  return (picked.length === 1 ? picked[0] : tf.addN(picked)) as tf.Tensor1D;
}

/** Applies `edit` to the first `pos` positions (axis 1) of act [batch, seq, …] and leaves the rest as they are. */
function editPromptPositions(act: tf.Tensor, pos: number, edit: (prompt: tf.Tensor) => tf.Tensor): tf.Tensor {
  const seq = act.shape[1] as number;
  if (seq === pos) return edit(act);
  const begin = act.shape.map(() => 0);
  const size = act.shape.map(() => -1);
  const prompt = act.slice(begin, size.map((s, i) => (i === 1 ? pos : s)));
  const rest = act.slice(begin.map((b, i) => (i === 1 ? pos : b)), size);
  return tf.concat([edit(prompt), rest], 1);
}
