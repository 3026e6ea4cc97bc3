// Metrics over targets of several tokens on the SentencePiece-style llama-sp-tiny fixture, where
// " his" and " her" are two tokens ("▁h" "is", "▁h" "er"). References, none of them the code under
// test: the teacher-forced log-probabilities a plain PyTorch forward gave (cases.json, written by
// scripts/reference/make_llama_sp_fixture.py), torch autograd's gradient of that sum at the MLP
// neurons (expected.safetensors), a plain JS forward over the appended tokens (helpers.ts), and
// finite differences of it.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { attribute, rankUnits } from '../../../src/engine/attribution/attribute';
import { type AttributionMetric, differenceMetric, logprobMetric, runMetric } from '../../../src/engine/attribution/metric';
import { measureUnitEffects, verifyAttribution } from '../../../src/engine/attribution/verify';
import { deltaPatch } from '../../../src/engine/attribution/patch';
import type { Sae } from '../../../src/engine/sae/sae';
import { readExpected } from '../../parity/modelFixtures';
import { metricOfRun, randomSae, scaleUnitAt } from './helpers';

const DIR = resolve(__dirname, '../../fixtures/models/llama-sp-tiny');
interface MetricCase {
  prompt: string;
  text: string;
  promptIds: number[];
  continuation: number[];
  tokenLogProbs: number[];
  sum: number;
}
const cases = JSON.parse(readFileSync(resolve(DIR, 'cases.json'), 'utf8')) as { metric: MetricCase[]; gradient: { promptIds: number[]; continuation: number[]; sum: number } };
const EPS = 1e-2;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const scalar = (t: tf.Tensor) => {
  const v = t.dataSync()[0] as number;
  t.dispose();
  return v;
};

describe('metrics over several tokens on a SentencePiece-style Llama', () => {
  let model: LoadedModel;
  let sae: Sae;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    model = await loadModel(DIR);
    sae = randomSae(model.config.dModel, 48, 'blocks.0.hook_resid_post', 11);
  });
  afterAll(() => {
    sae.dispose();
    model.dispose();
  });

  it('the metric is the teacher-forced sum of log-probabilities PyTorch gives, and the plain JS forward agrees', () => {
    for (const c of cases.metric) {
      const metric = logprobMetric(c.continuation);
      const engine = scalar(tf.tidy(() => runMetric(model, [c.promptIds], [], metric)));
      expect(Math.abs(engine - c.sum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(c.sum)));
      expect(Math.abs(metricOfRun(model, c.promptIds, metric) - c.sum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(c.sum)));
    }
    // " his" − " her" after the same prompt: the difference of the two sums.
    const his = cases.metric[0]!;
    const her = cases.metric[1]!;
    expect([his.text, her.text, his.prompt]).toEqual([' his', ' her', her.prompt]);
    const diff = scalar(tf.tidy(() => runMetric(model, [his.promptIds], [], differenceMetric(his.continuation, her.continuation))));
    expect(diff).toBeCloseTo(his.sum - her.sum, 4);
  });

  it('a batch of rows gives each row its own metric, and one-token metrics read the last position as before', () => {
    const c = cases.metric[4]!;
    const rows = [c.promptIds, c.promptIds];
    const both = tf.tidy(() => runMetric(model, rows, [], logprobMetric(c.continuation)).dataSync() as Float32Array);
    expect(Array.from(both).map((v) => Number(v.toFixed(4)))).toEqual([Number(c.sum.toFixed(4)), Number(c.sum.toFixed(4))]);
    const first = c.continuation[0]!;
    const one = scalar(tf.tidy(() => runMetric(model, [c.promptIds], [], logprobMetric([first]))));
    expect(one).toBeCloseTo(c.tokenLogProbs[0]!, 4);
    expect(logprobMetric([first])).toEqual({ kind: 'logprob', token: first });
  });

  it('gradient attribution of a 9-token continuation equals torch autograd −a·∂m/∂a at every MLP neuron', () => {
    const g = cases.gradient;
    const metric = logprobMetric(g.continuation);
    const before = tf.memory().numTensors;
    const result = attribute(model, { tokens: g.promptIds, metric, site: { kind: 'neurons' } });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.metricClean).toBeCloseTo(g.sum, 3);
    const expected = readExpected('llama-sp-tiny');
    const P = g.promptIds.length;
    for (const h of result.hooks) {
      const act = expected.get(`act.${h.hook}`).data;
      const grad = expected.get(`grad.${h.hook}`).data;
      expect(h.positions).toBe(P);
      let scale = 0;
      for (let i = 0; i < act.length; i++) scale = Math.max(scale, Math.abs((act[i] as number) * (grad[i] as number)));
      for (let j = 0; j < h.width; j++) {
        let ref = 0;
        for (let p = 0; p < P; p++) {
          const perPos = -(act[p * h.width + j] as number) * (grad[p * h.width + j] as number);
          ref += perPos;
          expect(Math.abs((h.perPosition[p * h.width + j] as number) - perPos)).toBeLessThan(1e-3 * scale + 1e-6);
        }
        expect(Math.abs((h.scores[j] as number) - ref)).toBeLessThan(2e-3 * scale + 1e-6);
      }
    }
  });

  it('the gradient of a continuation metric and of a two-token difference match finite differences of plain forwards', () => {
    const his = cases.metric[0]!;
    const her = cases.metric[1]!;
    const P = his.promptIds.length;
    const prompt = range(P);
    for (const metric of [logprobMetric(his.continuation), differenceMetric(his.continuation, her.continuation)] as AttributionMetric[]) {
      const result = attribute(model, { tokens: his.promptIds, metric, site: { kind: 'neurons' } });
      const probes = [...rankUnits(result, { topN: 3 }), { hook: 'blocks.0.mlp.hook_post', index: 9, score: 0 }, { hook: 'blocks.1.mlp.hook_post', index: 40, score: 0 }];
      for (const u of probes) {
        const h = result.hooks.find((x) => x.hook === u.hook)!;
        // d/dε m(a·(1+ε)) over the prompt's positions = a·∂m/∂a; the zero-ablation score is its negative.
        const up = metricOfRun(model, his.promptIds, metric, [scaleUnitAt(u.hook, u.index, 1 + EPS, prompt)]);
        const down = metricOfRun(model, his.promptIds, metric, [scaleUnitAt(u.hook, u.index, 1 - EPS, prompt)]);
        const fd = -(up - down) / (2 * EPS);
        expect(Math.abs((h.scores[u.index] as number) - fd)).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
        const p = P - 2;
        const upP = metricOfRun(model, his.promptIds, metric, [scaleUnitAt(u.hook, u.index, 1 + EPS, [p])]);
        const downP = metricOfRun(model, his.promptIds, metric, [scaleUnitAt(u.hook, u.index, 1 - EPS, [p])]);
        expect(Math.abs((h.perPosition[p * h.width + u.index] as number) + (upP - downP) / (2 * EPS))).toBeLessThan(2e-3 + 0.02 * Math.abs(fd));
      }
    }
  });

  it('verification patches units for real: measured effects equal plain forwards with the unit zeroed at the prompt, and rank like the predictions', () => {
    const his = cases.metric[0]!;
    const her = cases.metric[1]!;
    const metric = differenceMetric(his.continuation, her.continuation);
    const opts = { tokens: his.promptIds, metric, site: { kind: 'neurons' as const } };
    const result = attribute(model, opts);
    const check = verifyAttribution(model, opts, result, { topN: 30 });
    console.log(`llama-sp-tiny " his" − " her": top 30 neurons, Spearman ${check.spearman.toFixed(3)}, Pearson ${check.pearson.toFixed(3)}, sign agreement ${check.signAgreement.toFixed(2)}`);
    expect(check.spearman).toBeGreaterThan(0.8);
    const clean = metricOfRun(model, his.promptIds, metric);
    for (const u of check.units.slice(0, 3)) {
      const zeroed = metricOfRun(model, his.promptIds, metric, [scaleUnitAt(u.hook, u.index, 0, range(his.promptIds.length))]);
      expect(u.measured).toBeCloseTo(zeroed - clean, 4);
    }
    // Whole-layer zeroing, measured in one forward, against the same plain forward.
    const h0 = result.hooks[0]!;
    const allZero = { hook: h0.hook, fn: (act: tf.Tensor) => tf.concat([tf.zerosLike(act.slice([0, 0, 0], [1, his.promptIds.length, -1])), act.slice([0, his.promptIds.length, 0], [1, -1, -1])], 1) };
    expect(h0.measuredTotal).toBeCloseTo(metricOfRun(model, his.promptIds, metric, [allZero]) - clean, 4);
  });

  it('SAE features: a feature\'s measured effect is a plain forward with the feature zeroed at the prompt', () => {
    const c = cases.metric[4]!;
    const metric = logprobMetric(c.continuation);
    const site = { kind: 'sae' as const, sae };
    const result = attribute(model, { tokens: c.promptIds, metric, site });
    const [top] = rankUnits(result, { topN: 1 });
    const measured = measureUnitEffects(model, { tokens: c.promptIds, metric, site }, [top!]);
    const P = c.promptIds.length;
    const zeroFeature = {
      hook: sae.cfg.metadata.hook_name,
      fn: (act: tf.Tensor) => {
        const prompt = act.slice([0, 0, 0], [1, P, -1]);
        const keep = new Float32Array(sae.cfg.d_sae).fill(1);
        keep[top!.index] = 0;
        const edited = sae.withFeatureEdit(prompt, (f) => f.mul(tf.tensor1d(keep)));
        return tf.concat([edited, act.slice([0, P, 0], [1, -1, -1])], 1);
      },
    };
    expect(measured.effects[0]).toBeCloseTo(metricOfRun(model, c.promptIds, metric, [zeroFeature]) - metricOfRun(model, c.promptIds, metric), 4);
    expect(Math.sign(measured.effects[0]!)).toBe(Math.sign(top!.score));
  });

  it('delta patching reads a continuation metric before, after and on the source from forwards over the continuation', () => {
    const his = cases.metric[0]!;
    const she = cases.metric[2]!;
    const metric = logprobMetric(his.continuation);
    const site = { kind: 'neurons' as const, layers: [1] };
    const r = deltaPatch(model, { sourceTokens: she.promptIds, targetTokens: his.promptIds, site, topN: 16, metric });
    expect(r.metric!.before).toBeCloseTo(his.sum, 3);
    expect(r.metric!.source).toBeCloseTo(metricOfRun(model, she.promptIds, metric), 4);
    expect(r.metric!.after).not.toBeCloseTo(r.metric!.before, 3);
    const none = deltaPatch(model, { sourceTokens: she.promptIds, targetTokens: his.promptIds, site, topN: 16, metric, scale: 0 });
    expect(none.metric!.after).toBeCloseTo(none.metric!.before, 5);
  });

  it('refuses a continuation that would run past a model\'s learned positions, naming the metric', async () => {
    // GPT-2 has 64 learned positions (the Llama's RoPE has no such bound).
    const gpt2 = await loadModel(resolve(DIR, '../gpt2'));
    try {
      const prompt = Array.from({ length: 62 }, (_, i) => 40 + i);
      expect(() => attribute(gpt2, { tokens: prompt, metric: logprobMetric([5, 6, 7, 8]), site: { kind: 'neurons' } })).toThrow(
        "metric: the prompt's 62 tokens and the target's continuation need 65 positions; the model has 64",
      );
      expect(() => attribute(gpt2, { tokens: prompt, metric: logprobMetric([5, 6, 7]), site: { kind: 'neurons', layers: [0] } })).not.toThrow();
    } finally {
      gpt2.dispose();
    }
  });
});

describe('continuation metrics on every family the app opens', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
  });

  it.each(['gpt2', 'llama', 'qwen2', 'gemma2', 'llama-sp-tiny'])('%s: a three-token continuation reads like the plain forward, and its top 30 neurons rank like real ablations', async (name) => {
    const model = await loadModel(resolve(DIR, '..', name));
    try {
      const tokens = [5, 17, 33, 42, 8, 19, 77, 21];
      const metric = differenceMetric([3, 40, 41], [4, 40]);
      const opts = { tokens, metric, site: { kind: 'neurons' as const } };
      const result = attribute(model, opts);
      expect(result.metricClean).toBeCloseTo(metricOfRun(model, tokens, metric), 4);
      const check = verifyAttribution(model, opts, result, { topN: 30 });
      console.log(`${name}: continuation difference, top 30 neurons, Spearman ${check.spearman.toFixed(3)}`);
      expect(check.spearman).toBeGreaterThan(0.8);
    } finally {
      model.dispose();
    }
  });
});
