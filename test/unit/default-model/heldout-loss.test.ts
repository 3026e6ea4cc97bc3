// The shipped default model, loaded and run by the engine, predicts held-out text (the
// corpus's validation split, never trained on) far better than a unigram model of its training
// data does, and better than even the unigram model fitted to the held-out text itself: it
// learned more than token frequencies.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { logSoftmax } from '../../../src/engine/model/sampling';

const MODEL_DIR = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const FIXTURE = resolve(__dirname, '../../fixtures/default-model/heldout.json');
/** How far below the train-unigram baseline (nats/token) the model must be. */
const MARGIN_NATS = 1.0;
const trainCounts = (JSON.parse(readFileSync(resolve(FIXTURE, '../unigram-counts.json'), 'utf8')) as { counts: number[] }).counts;
const samples = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { samples: { source: string; text: string }[] }).samples;

/** Cross-entropy (nats/token) of tokens under the add-one-smoothed unigram model of the train split. */
function trainUnigramCrossEntropy(tokens: number[]): number {
  const total = trainCounts.reduce((a, b) => a + b, 0) + trainCounts.length;
  return -tokens.reduce((s, t) => s + Math.log(((trainCounts[t] ?? 0) + 1) / total), 0) / tokens.length;
}

/** Entropy (nats/token) of the tokens' own frequency distribution: no unigram model does better. */
function unigramEntropy(tokens: number[]): number {
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / tokens.length) * Math.log(c / tokens.length);
  return h;
}

describe('featurescope-tiny on held-out text', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    model = await loadModel(MODEL_DIR);
  });
  afterAll(() => model.dispose());

  it.each(['austen', 'python-stdlib'])('%s: cross-entropy is well below the unigram baselines', (source) => {
    const ctx = model.config.maxPositions ?? 128;
    let nll = 0;
    let predicted = 0;
    const all: number[] = [];
    const targets: number[] = [];
    for (const sample of samples.filter((s) => s.source === source)) {
      const ids = model.tokenizer.encode(sample.text);
      all.push(...ids);
      for (let start = 0; start + 1 < ids.length; start += ctx) {
        const window = ids.slice(start, start + ctx + 1);
        const { logits, captured } = model.run([window.slice(0, -1)]);
        const rows = logits.arraySync()[0]!;
        logits.dispose();
        for (const t of captured.values()) t.dispose();
        for (let i = 0; i + 1 < window.length; i++) {
          nll -= logSoftmax(rows[i]!)[window[i + 1]!]!;
          targets.push(window[i + 1]!);
          predicted++;
        }
      }
    }
    const crossEntropy = nll / predicted;
    const trainUnigram = trainUnigramCrossEntropy(targets); // the same tokens the model was scored on
    const heldOutUnigram = unigramEntropy(all);
    console.log(
      `${source}: model ${crossEntropy.toFixed(3)} nats/token; train-unigram ${trainUnigram.toFixed(3)}; ` +
        `held-out in-sample unigram entropy ${heldOutUnigram.toFixed(3)}; ${predicted} tokens`,
    );
    expect(predicted).toBeGreaterThan(500);
    expect(crossEntropy).toBeLessThan(trainUnigram - MARGIN_NATS);
    expect(crossEntropy).toBeLessThan(heldOutUnigram);
  });
});
