// Delta patching: the edit equals the model's own clamp / add interventions built from the same
// deltas; scale 0 changes nothing; on the bundled model it moves the target's next-token
// distribution toward the source's.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { logSoftmax } from '../../../src/engine/model/sampling';
import { deltaPatch, klDivergence } from '../../../src/engine/attribution/patch';
import type { Sae } from '../../../src/engine/sae/sae';
import { saeInterventionHandler } from '../../../src/engine/sae/intervene';
import { FeaturescopeError } from '../../../src/shared/errors';
import { randomSae, topNextToken } from './helpers';

const GPT2 = resolve(__dirname, '../../fixtures/models/gpt2');
const BUNDLED = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const BUNDLED_WEIGHTS = resolve(BUNDLED, 'model.safetensors');
const SOURCE = [116, 257, 32, 285, 269, 259, 280];
const TARGET = [282, 32, 113, 117, 105, 99, 107, 32, 98];

function lastLogProbs(model: LoadedModel, tokens: number[], interventions: unknown[], sae?: Sae): Float64Array {
  const { logits, captured } = model.run([tokens], { interventions, lastPositionOnly: true, saeHandler: sae === undefined ? undefined : saeInterventionHandler(sae) });
  const row = logits.dataSync();
  logits.dispose();
  for (const t of captured.values()) t.dispose();
  return logSoftmax(row);
}

describe('delta patching', () => {
  let tiny: LoadedModel;
  let sae: Sae;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    tiny = await loadModel(GPT2);
    sae = randomSae(tiny.config.dModel, 64, 'blocks.1.hook_resid_mid', 3);
  });
  afterAll(() => {
    sae.dispose();
    tiny.dispose();
  });

  it('neurons: adding the deltas at paired positions equals clamping those neurons to the source values there', () => {
    const sourcePositions = [5, 6];
    const targetPositions = [7, 8];
    const r = deltaPatch(tiny, { sourceTokens: SOURCE, targetTokens: TARGET, site: { kind: 'neurons', layers: [1] }, sourcePositions, targetPositions, topN: 12 });
    expect(r.units).toHaveLength(12);
    // Source values from a direct capture; one clamp intervention per neuron and position.
    const hook = 'blocks.1.mlp.hook_post';
    const { logits, captured } = tiny.run([SOURCE], { capture: [hook] });
    const src = captured.get(hook)?.arraySync() as number[][][];
    logits.dispose();
    for (const t of captured.values()) t.dispose();
    const clamps = r.units.flatMap((u) => sourcePositions.map((p, k) => ({ hook, kind: 'clamp', target: { neurons: [u.index] }, value: src[0]?.[p]?.[u.index], positions: [targetPositions[k]] })));
    const expected = lastLogProbs(tiny, TARGET, clamps);
    const before = lastLogProbs(tiny, TARGET, []);
    const afterTop = r.after[0];
    if (afterTop === undefined) throw new Error('no tokens');
    expect(Math.log(afterTop.prob)).toBeCloseTo(expected[afterTop.token] as number, 4);
    expect(r.klAfterBefore).toBeCloseTo(klDivergence(expected, before), 4);
    // The ranking is by delta size, largest first.
    const sizes = r.units.map((u) => Math.hypot(...u.deltas));
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
  });

  it('SAE features: the edit equals saeFeatures add interventions of the scaled deltas; scale 0 changes nothing', () => {
    const scale = 1.5;
    const tensorsBefore = tf.memory().numTensors;
    const r = deltaPatch(tiny, { sourceTokens: SOURCE, targetTokens: TARGET, site: { kind: 'sae', sae }, topN: 8, scale, metric: { kind: 'logprob', token: topNextToken(tiny, SOURCE) } });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const last = TARGET.length - 1;
    const adds = r.units.map((u) => ({ hook: u.hook, kind: 'add', target: { saeFeatures: [u.index] }, value: scale * (u.deltas[0] ?? 0), positions: [last] }));
    const expected = lastLogProbs(tiny, TARGET, adds, sae);
    const token = r.after[0]?.token ?? -1;
    expect(Math.log(r.after[0]?.prob ?? 0)).toBeCloseTo(expected[token] as number, 4);
    expect(r.metric?.before).toBeCloseTo(lastLogProbs(tiny, TARGET, [])[topNextToken(tiny, SOURCE)] as number, 4);
    const none = deltaPatch(tiny, { sourceTokens: SOURCE, targetTokens: TARGET, site: { kind: 'sae', sae }, topN: 8, scale: 0 });
    expect(none.klAfterBefore).toBeLessThan(1e-6);
    expect(none.after.map((t) => t.token)).toEqual(none.before.map((t) => t.token));
  });

  it('rejects unpaired or out-of-range positions by field', () => {
    const fieldOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        if (err instanceof FeaturescopeError) return err.field;
        throw err;
      }
      throw new Error('expected a FeaturescopeError');
    };
    const site = { kind: 'neurons' as const, layers: [0] };
    expect(fieldOf(() => deltaPatch(tiny, { sourceTokens: SOURCE, targetTokens: TARGET, site, sourcePositions: [1, 2], targetPositions: [3] }))).toBe('targetPositions');
    expect(fieldOf(() => deltaPatch(tiny, { sourceTokens: SOURCE, targetTokens: TARGET, site, sourcePositions: [7] }))).toBe('sourcePositions');
    expect(fieldOf(() => deltaPatch(tiny, { sourceTokens: SOURCE, targetTokens: TARGET, site, topN: 0 }))).toBe('topN');
  });

  // The shipped weights are built by `npm run train:default-model`; without them this part is skipped (and says so).
  describe.skipIf(!existsSync(BUNDLED_WEIGHTS))('on featurescope-tiny', () => {
    let bundled: LoadedModel;
    beforeAll(async () => {
      bundled = await loadModel(BUNDLED);
    });
    afterAll(() => bundled.dispose());

    it('layer-0 deltas at the last position move the target most of the way to the source', () => {
      const sourceTokens = bundled.tokenizer.encode('def __init__(self');
      const targetTokens = bundled.tokenizer.encode('Elizabeth said to');
      const token = topNextToken(bundled, sourceTokens);
      const r = deltaPatch(bundled, { sourceTokens, targetTokens, site: { kind: 'neurons', layers: [0] }, topN: 256, metric: { kind: 'logprob', token } });
      const show = (ts: typeof r.after) => ts.slice(0, 4).map((t) => `${JSON.stringify(bundled.tokenizer.decode([t.token]))} ${t.prob.toFixed(2)}`).join(', ');
      console.log(`source: ${show(r.source)}\nbefore: ${show(r.before)}\nafter:  ${show(r.after)}\nKL(source‖target) ${r.klSourceBefore.toFixed(2)} → ${r.klSourceAfter.toFixed(2)}; log p(${JSON.stringify(bundled.tokenizer.decode([token]))}) ${r.metric?.before.toFixed(2)} → ${r.metric?.after.toFixed(2)}`);
      expect(r.klSourceAfter).toBeLessThan(r.klSourceBefore / 2);
      expect((r.metric?.after ?? -Infinity) - (r.metric?.before ?? 0)).toBeGreaterThan(1);
    });
  });
});
