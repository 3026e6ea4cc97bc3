// Sparse probes: a planted informative feature is found alone among distractors; on the bundled
// model a handful of MLP neurons separates Austen from Python on held-out text; rows are the
// pooled activations a direct capture gives.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { SeededRandom } from '../../../src/engine/random';
import { randomSae } from '../attribution/helpers';
import { fitProbe, probeActivations, stratifiedSplit, trainProbe, type LabelledPrompt } from '../../../src/engine/probes/probe';

const MODEL_DIR = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const HELDOUT = resolve(__dirname, '../../fixtures/default-model/heldout.json');

/** Standard normal draws (Box–Muller) from a seeded generator. */
function gaussians(n: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
}

describe('sparse probes', () => {
  it('finds a planted informative feature alone among 40 distractors on wildly different scales', () => {
    const n = 240;
    const d = 40;
    const planted = 7;
    const x = gaussians(n * d, 11);
    const noise = gaussians(n, 12);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = (x[i * d + j] as number) * 10 ** ((j % 5) - 2) + j; // scales 0.01 … 100
    const labels = Array.from({ length: n }, (_, i) => ((x[i * d + planted] as number) - planted + 0.02 * (noise[i] as number) > 0 ? 1 : 0));
    const result = fitProbe(x, d, labels, { seed: 3, targetAccuracy: 0.9 });
    expect(result.smallest?.features.map((f) => f.index)).toEqual([planted]);
    expect(result.smallest?.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.steps[0]?.features).toEqual([]);
    expect(result.testRows.length).toBe(Math.ceil(0.25 * labels.filter((l) => l === 0).length) + Math.ceil(0.25 * labels.filter((l) => l === 1).length));
  });

  it('splits each class by the seed: same seed same split, other seed another, no row in both', () => {
    const labels = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const a = stratifiedSplit(labels, 0.25, 5);
    expect(stratifiedSplit(labels, 0.25, 5)).toEqual(a);
    expect(stratifiedSplit(labels, 0.25, 6).test).not.toEqual(a.test);
    expect(new Set([...a.train, ...a.test]).size).toBe(40);
    expect(a.test.filter((r) => labels[r] === 1).length).toBe(Math.ceil(0.25 * 14));
  });

  // The shipped weights are built by `npm run train:default-model`; without them this part is skipped (and says so).
  describe.skipIf(!existsSync(resolve(MODEL_DIR, 'model.safetensors')))('on featurescope-tiny', () => {
    let model: LoadedModel;
    let prompts: LabelledPrompt[];
    beforeAll(async () => {
      await initBackend({ prefer: 'wasm', threads: 1 });
      model = await loadModel(MODEL_DIR);
      const samples = (JSON.parse(readFileSync(HELDOUT, 'utf8')) as { samples: { source: string; text: string }[] }).samples;
      // 24-token windows of held-out Austen (label 1) and Python (label 0).
      prompts = samples.flatMap((s) => {
        const ids = model.tokenizer.encode(s.text);
        const out: LabelledPrompt[] = [];
        for (let start = 0; start + 24 <= ids.length && out.length < 20; start += 24) out.push({ tokens: ids.slice(start, start + 24), label: s.source === 'austen' ? 1 : 0 });
        return out;
      });
    });
    afterAll(() => model.dispose());

    it('a few layer-1 MLP neurons tell Austen from Python on held-out windows', () => {
      const result = trainProbe(model, prompts, { hook: 'blocks.1.mlp.hook_post', pooling: 'mean', seed: 1, targetAccuracy: 0.95, path: { nLambdas: 10, lambdaMinRatio: 0.1 } });
      const smallest = result.smallest;
      console.log(`Austen vs Python, ${prompts.length} prompts: smallest set ${JSON.stringify(smallest?.features.map((f) => f.index))} at held-out accuracy ${smallest?.testAccuracy}`);
      expect(smallest).not.toBeNull();
      expect(smallest?.features.length).toBeLessThanOrEqual(5);
      expect(smallest?.features.length).toBeGreaterThanOrEqual(1);
    });

    it('rows are the mean or last-token activation a direct capture gives', () => {
      const tokens = prompts[0]?.tokens ?? [];
      const hook = 'blocks.2.hook_resid_post';
      const { logits, captured } = model.run([tokens], { capture: [hook] });
      const act = (captured.get(hook)?.arraySync() as number[][][])[0] as number[][];
      logits.dispose();
      for (const t of captured.values()) t.dispose();
      const tensorsBefore = tf.memory().numTensors;
      const mean = probeActivations(model, [tokens], { hook, pooling: 'mean' });
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      const last = probeActivations(model, [tokens], { hook, pooling: 'last' });
      expect(mean.width).toBe(model.config.dModel);
      for (const j of [0, 17, 127]) {
        expect(mean.x[j]).toBeCloseTo(act.reduce((s, row) => s + (row[j] as number), 0) / act.length, 4);
        expect(last.x[j]).toBeCloseTo(act[act.length - 1]?.[j] as number, 5);
      }
      // SAE features: the mean over tokens of the SAE's own encode of the captured activation.
      const sae = randomSae(model.config.dModel, 48, hook, 5);
      try {
        const features = probeActivations(model, [tokens], { hook, sae, pooling: 'mean' });
        expect(features.width).toBe(48);
        const direct = tf.tidy(() => (sae.encode(tf.tensor2d(act)).mean(0).arraySync() as number[]));
        direct.forEach((v, j) => expect(features.x[j]).toBeCloseTo(v, 4));
        expect(direct.some((v) => v > 0)).toBe(true);
      } finally {
        sae.dispose();
      }
    });
  });
});
