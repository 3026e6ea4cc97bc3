// Scoring a model on a binary next-token task: at the last position of each prompt, the two-way
// cross-entropy over {target, alternative} — softplus(logit_alt − logit_target), in nats — and
// whether the target's logit is the higher. Prompts of one length run as one batch (no padding, so
// nothing depends on how a family masks it), a batch at a time, and only two logits per prompt are
// read back.
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../model';
import type { RunOptions } from '../model/model';
import { readback } from '../readback';
import type { TokenizedExample } from './task-file';

const BATCH = 64;

export interface ExampleScore {
  /** logit(target) − logit(alternative) at the last position. */
  margin: number;
  /** softplus(−margin): the two-way cross-entropy of the target. */
  loss: number;
  correct: boolean;
}

/** log(1 + e^x) without overflow for large x. */
const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));

export function scoreExamples(
  model: LoadedModel,
  examples: TokenizedExample[],
  opts: { run?: Pick<RunOptions, 'interventions' | 'saeHandler'>; onBatch?: (done: number) => void } = {},
): ExampleScore[] {
  const out: ExampleScore[] = new Array(examples.length);
  const byLength = new Map<number, number[]>();
  examples.forEach((e, i) => byLength.set(e.tokens.length, [...(byLength.get(e.tokens.length) ?? []), i]));
  const vocab = model.config.vocabSize;
  let done = 0;
  for (const indices of byLength.values()) {
    for (let s = 0; s < indices.length; s += BATCH) {
      const batch = indices.slice(s, s + BATCH);
      const { logits, captured } = model.run(
        batch.map((i) => examples[i]!.tokens),
        { ...(opts.run ?? {}), lastPositionOnly: true },
      );
      for (const t of captured.values()) t.dispose();
      let pairs: tf.TypedArray;
      try {
        // [b, 1, V] → the target's and the alternative's logit of each row: 2b numbers, not b×V.
        const flat = batch.flatMap((i, r) => [r * vocab + examples[i]!.target, r * vocab + examples[i]!.alternative]);
        pairs = readback(() => tf.gather(logits.reshape([-1]), tf.tensor1d(flat, 'int32')));
      } finally {
        logits.dispose();
      }
      batch.forEach((i, r) => {
        const margin = pairs[2 * r]! - pairs[2 * r + 1]!;
        out[i] = { margin, loss: softplus(-margin), correct: margin > 0 };
      });
      done += batch.length;
      opts.onBatch?.(done);
    }
  }
  return out;
}

export function summarise(scores: ExampleScore[]): { loss: number; accuracy: number } {
  if (scores.length === 0) return { loss: Number.NaN, accuracy: Number.NaN };
  let loss = 0;
  let correct = 0;
  for (const s of scores) {
    loss += s.loss;
    if (s.correct) correct++;
  }
  return { loss: loss / scores.length, accuracy: correct / scores.length };
}
