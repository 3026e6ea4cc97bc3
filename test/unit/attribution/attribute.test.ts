// Attribution patching on the tiny random GPT-2 fixture, checked against finite differences of
// real forwards (raw hooks, no attribution code), and against real one-unit ablations.

import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { attribute, rankUnits, type AttributeOptions } from '../../../src/engine/attribution/attribute';
import type { AttributionMetric } from '../../../src/engine/attribution/metric';
import { measureUnitEffects, verifyAttribution } from '../../../src/engine/attribution/verify';
import type { Sae } from '../../../src/engine/sae/sae';
import { FeaturescopeError } from '../../../src/shared/errors';
import { metricOfRun, randomSae, scaleFeature, scaleUnit, topNextToken } from './helpers';

const GPT2 = resolve(__dirname, '../../fixtures/models/gpt2');
const PROMPT = [282, 32, 113, 117, 105, 99, 107, 32, 98, 114, 111, 119];
const PATCH = [116, 257, 32, 285, 269, 259, 280, 32, 98, 114, 111, 119];
const EPS = 1e-2;

/** Central difference of the metric in the factor that scales one unit: d/dε m(a·(1+ε)) = a·∂m/∂a. */
function scaledDerivative(model: LoadedModel, metric: AttributionMetric, hook: string, index: number, position?: number): number {
  const up = metricOfRun(model, PROMPT, metric, [scaleUnit(hook, index, 1 + EPS, position)]);
  const down = metricOfRun(model, PROMPT, metric, [scaleUnit(hook, index, 1 - EPS, position)]);
  return (up - down) / (2 * EPS);
}

describe('attribution patching on the tiny GPT-2 fixture', () => {
  let model: LoadedModel;
  let sae: Sae;
  let target: number;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    model = await loadModel(GPT2);
    target = topNextToken(model, PROMPT);
    sae = randomSae(model.config.dModel, 96, 'blocks.0.hook_resid_post', 7);
  });
  afterAll(() => {
    sae.dispose();
    model.dispose();
  });

  it('zero-ablation scores equal −a·∂m/∂a from finite differences, summed and per position, in every layer at once', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const before = tf.memory().numTensors;
    const result = attribute(model, { tokens: PROMPT, metric, site: { kind: 'neurons' } });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.hooks.map((h) => h.hook)).toEqual(['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post']);
    expect(result.metricClean).toBeCloseTo(metricOfRun(model, PROMPT, metric), 4);
    const top = rankUnits(result, { topN: 3 });
    const probes = [...top, { hook: 'blocks.0.mlp.hook_post', index: 5, score: 0 }, { hook: 'blocks.1.mlp.hook_post', index: 77, score: 0 }];
    for (const u of probes) {
      const h = result.hooks.find((x) => x.hook === u.hook);
      if (h === undefined) throw new Error('hook missing');
      const score = h.scores[u.index] as number;
      const fd = -scaledDerivative(model, metric, u.hook, u.index);
      expect(Math.abs(score - fd)).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
      const p = 7;
      const perPos = h.perPosition[p * h.width + u.index] as number;
      const fdPos = -scaledDerivative(model, metric, u.hook, u.index, p);
      expect(Math.abs(perPos - fdPos)).toBeLessThan(2e-3 + 0.02 * Math.abs(fdPos));
    }
    // The top units matter: their scores are far from zero.
    expect(Math.abs(top[0]?.score ?? 0)).toBeGreaterThan(1e-2);
  });

  it('patch-prompt scores on a logit difference equal the derivative along a_clean → a_patch', () => {
    const other = (target + 1) % model.config.vocabSize;
    const metric: AttributionMetric = { kind: 'logit-diff', tokenA: target, tokenB: other };
    const opts: AttributeOptions = { tokens: PROMPT, patchTokens: PATCH, metric, site: { kind: 'neurons', layers: [1] } };
    const result = attribute(model, opts);
    expect(result.metricPatchPrompt).toBeCloseTo(metricOfRun(model, PATCH, metric), 4);
    const h = result.hooks[0];
    if (h === undefined) throw new Error('no hook');
    // a_patch captured directly; move one neuron a fraction t of the way there.
    const { captured, logits } = model.run([PATCH], { capture: [h.hook] });
    const aPatch = captured.get(h.hook)?.arraySync() as number[][][];
    logits.dispose();
    for (const t of captured.values()) t.dispose();
    for (const u of rankUnits(result, { topN: 4 })) {
      const toward = (t: number) => ({
        hook: h.hook,
        fn: (act: tf.Tensor) => {
          const [, pos, width] = act.shape as [number, number, number];
          const mask = new Float32Array(pos * width);
          const goal = new Float32Array(pos * width);
          for (let p = 0; p < pos; p++) {
            mask[p * width + u.index] = t;
            goal[p * width + u.index] = aPatch[0]?.[p]?.[u.index] ?? NaN;
          }
          const m = tf.tensor3d(mask, [1, pos, width]);
          return act.add(m.mul(tf.tensor3d(goal, [1, pos, width]).sub(act)));
        },
      });
      const fd = (metricOfRun(model, PROMPT, metric, [toward(EPS)]) - metricOfRun(model, PROMPT, metric, [toward(-EPS)])) / (2 * EPS);
      expect(Math.abs(u.score - fd)).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
    }
  });

  it('SAE features: gradient w.r.t. f through decode(f) + error equals the finite difference of the SAE module\'s own feature edit', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const result = attribute(model, { tokens: PROMPT, metric, site: { kind: 'sae', sae } });
    const h = result.hooks[0];
    expect(h?.unitKind).toBe('sae-feature');
    expect(h?.width).toBe(96);
    const top = rankUnits(result, { topN: 4 });
    for (const u of top) {
      const up = metricOfRun(model, PROMPT, metric, [scaleFeature(sae, u.index, 1 + EPS)]);
      const down = metricOfRun(model, PROMPT, metric, [scaleFeature(sae, u.index, 1 - EPS)]);
      const fd = -(up - down) / (2 * EPS);
      expect(Math.abs(u.score - fd)).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
    }
    // Measured one-feature ablations equal the model's own saeFeatures ablate-zero intervention.
    const measured = measureUnitEffects(model, { tokens: PROMPT, metric, site: { kind: 'sae', sae }, batchSize: 3 }, top);
    expect(measured.forwards).toBe(2);
    top.forEach((u, i) => {
      const viaIntervention = metricOfRun(model, PROMPT, metric, [], [{ hook: sae.cfg.metadata.hook_name, kind: 'ablate-zero', target: { saeFeatures: [u.index] } }], sae);
      expect(measured.effects[i]).toBeCloseTo(viaIntervention - measured.metricClean, 4);
    });
  });

  it('batched one-unit ablations equal single ablate-zero interventions; the top 50 of a layer correlate with their predictions', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const opts: AttributeOptions = { tokens: PROMPT, metric, site: { kind: 'neurons', layers: [0] } };
    const result = attribute(model, opts);
    const check = verifyAttribution(model, opts, result, { topN: 50, batchSize: 16 });
    expect(check.units).toHaveLength(50);
    expect(check.forwards).toBe(4);
    for (const u of check.units.slice(0, 5)) {
      const ablated = metricOfRun(model, PROMPT, metric, [], [{ hook: u.hook, kind: 'ablate-zero', target: { neurons: [u.index] } }]);
      expect(u.measured).toBeCloseTo(ablated - check.metricClean, 4);
    }
    console.log(`tiny GPT-2, layer 0, top 50 neurons, zero-ablation: Spearman ${check.spearman.toFixed(3)}, Pearson ${check.pearson.toFixed(3)}, sign agreement ${check.signAgreement.toFixed(2)}`);
    expect(check.spearman).toBeGreaterThan(0.8);
    expect(check.signAgreement).toBeGreaterThan(0.8);
  });

  it('integrated gradients: the scores of a hook add up to the measured effect of patching the whole hook (completeness)', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const result = attribute(model, { tokens: PROMPT, patchTokens: PATCH, metric, site: { kind: 'neurons' }, method: 'integrated-gradients', steps: 32 });
    expect(result.steps).toBe(32);
    for (const h of result.hooks) {
      expect(Math.abs(h.predictedTotal - h.measuredTotal)).toBeLessThan(0.02 + 0.05 * Math.abs(h.measuredTotal));
    }
  });

  it('per-position verification patches one (neuron, position) at a time, like ablate-zero at that position; no tensor is left behind', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const opts: AttributeOptions = { tokens: PROMPT, metric, site: { kind: 'neurons' } };
    const before = tf.memory().numTensors;
    const result = attribute(model, opts);
    const check = verifyAttribution(model, opts, result, { topN: 30, perPosition: true });
    expect(tf.memory().numTensors).toBe(before);
    for (const u of check.units.slice(0, 3)) {
      expect(u.position).toBeDefined();
      const ablated = metricOfRun(model, PROMPT, metric, [], [{ hook: u.hook, kind: 'ablate-zero', target: { neurons: [u.index] }, positions: [u.position] }]);
      expect(u.measured).toBeCloseTo(ablated - check.metricClean, 4);
    }
    console.log(`tiny GPT-2, both layers, top 30 (neuron, position) pairs: Spearman ${check.spearman.toFixed(3)}, Pearson ${check.pearson.toFixed(3)}`);
    expect(check.spearman).toBeGreaterThan(0.8);
  });

  it('integrated gradients over SAE features: completeness against the measured effect of zeroing every feature (error term kept)', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const before = tf.memory().numTensors;
    const result = attribute(model, { tokens: PROMPT, metric, site: { kind: 'sae', sae }, method: 'integrated-gradients', steps: 32 });
    expect(tf.memory().numTensors).toBe(before);
    const h = result.hooks[0];
    if (h === undefined) throw new Error('no hook');
    const allOff = metricOfRun(model, PROMPT, metric, [], [{ hook: sae.cfg.metadata.hook_name, kind: 'ablate-zero', target: { saeFeatures: Array.from({ length: 96 }, (_, i) => i) } }], sae);
    expect(h.measuredTotal).toBeCloseTo(allOff - result.metricClean, 4);
    expect(Math.abs(h.predictedTotal - h.measuredTotal)).toBeLessThan(0.02 + 0.05 * Math.abs(h.measuredTotal));
  });

  it('rejects prompts that do not line up, bad tokens and bad layers by field', () => {
    const metric: AttributionMetric = { kind: 'logprob', token: target };
    const fieldOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        if (err instanceof FeaturescopeError) return err.field;
        throw err;
      }
      throw new Error('expected a FeaturescopeError');
    };
    expect(fieldOf(() => attribute(model, { tokens: PROMPT, patchTokens: PATCH.slice(1), metric, site: { kind: 'neurons' } }))).toBe('patchTokens');
    expect(fieldOf(() => attribute(model, { tokens: PROMPT, metric: { kind: 'logprob', token: 300 }, site: { kind: 'neurons' } }))).toBe('metric');
    expect(fieldOf(() => attribute(model, { tokens: PROMPT, metric, site: { kind: 'neurons', layers: [2] } }))).toBe('site.layers');
    expect(fieldOf(() => attribute(model, { tokens: PROMPT, metric, site: { kind: 'neurons' }, method: 'integrated-gradients', steps: 0 }))).toBe('steps');
  });
});
