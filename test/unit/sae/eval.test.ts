// SAE evaluation on the tiny GPT-2 fixture: an exact-reconstruction SAE recovers all the CE loss,
// a zero SAE none, and the CE/KL figures equal a next-token loss computed here in float64 from
// runs with plain hook functions.
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../src/engine/model';
import { StandardSae } from '../../../src/engine/sae/architectures/standard';
import { densityHistogram, evaluateSae } from '../../../src/engine/sae/eval';
import type { SaeConfig } from '../../../src/engine/sae/sae';
import { seededFloats, useEngineBackend } from './helpers/backend';

const HOOK = 'blocks.0.hook_resid_post';
let model: LoadedModel;
let windows: number[][];

beforeAll(async () => {
  await useEngineBackend();
  model = await loadModel(resolve(__dirname, '../../fixtures/models/gpt2'));
  windows = sampleWindows(6, 16);
});
afterAll(() => model?.dispose());

/**
 * Windows sampled from the model itself (temperature 1). On its own samples the clean model's
 * expected CE is the lowest any edit can reach (E_p[−log q] = H(p) + KL(p‖q)), so zero-ablation
 * measurably hurts even though the fixture's weights are random.
 */
function sampleWindows(count: number, length: number): number[][] {
  const uniform = seededFloats(count * length, 17).map((u) => (u + 1) / 2);
  const rows = Array.from({ length: count }, (_, b) => [(b * 37) % model.config.vocabSize]);
  for (let t = 1; t < length; t++) {
    const r = model.run(rows, { lastPositionOnly: true });
    const probs = tf.tidy(() => tf.softmax(tf.squeeze(r.logits, [1])).arraySync() as number[][]);
    r.logits.dispose();
    probs.forEach((p, b) => {
      let u = uniform[b * length + t]!, token = p.length - 1;
      for (let i = 0; i < p.length; i++) if ((u -= p[i]!) <= 0) (token = i), (i = p.length);
      rows[b]!.push(token);
    });
  }
  return rows;
}

/** relu([x, −x]) @ [I; −I]·decScale = decScale·x: exact reconstruction at decScale 1, zero at 0. */
function splitSae(d: number, decScale: number): StandardSae {
  const eye = tf.eye(d);
  const cfg: SaeConfig = {
    architecture: 'standard', d_in: d, d_sae: 2 * d, apply_b_dec_to_input: false, normalize_activations: 'none', dtype: 'float32',
    metadata: { hook_name: HOOK, model_name: 'gpt2-fixture' },
  };
  return new StandardSae(cfg, {
    W_enc: tf.concat([eye, tf.neg(eye)], 1) as tf.Tensor2D, // [d, 2d]
    W_dec: tf.mul(tf.concat([eye, tf.neg(eye)], 0), decScale) as tf.Tensor2D, // [2d, d]
    b_enc: tf.zeros([2 * d]) as tf.Tensor1D,
    b_dec: tf.zeros([d]) as tf.Tensor1D,
  });
}

/** Mean next-token NLL and mean KL(clean ‖ this run), computed in float64 from the logits. */
function referenceLosses(edit: ((a: tf.Tensor) => tf.Tensor) | undefined): { ce: number; kl: number } {
  const run = (fn?: (a: tf.Tensor) => tf.Tensor): number[][][] => {
    const r = model.run(windows, fn ? { hooks: [{ hook: HOOK, fn }] } : {});
    const out = r.logits.arraySync();
    r.logits.dispose();
    return out;
  };
  const logSoftmax = (row: number[]): number[] => {
    const max = Math.max(...row);
    const z = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    return row.map((v) => v - z);
  };
  const clean = run(), edited = run(edit);
  let nll = 0, n = 0, kl = 0, positions = 0;
  windows.forEach((w, b) => {
    for (let t = 0; t < w.length; t++) {
      const lc = logSoftmax(clean[b]![t]!), le = logSoftmax(edited[b]![t]!);
      kl += lc.reduce((s, v, i) => s + Math.exp(v) * (v - le[i]!), 0);
      positions++;
      if (t + 1 < w.length) (nll -= le[w[t + 1]!]!), n++;
    }
  });
  return { ce: nll / n, kl: kl / positions };
}

describe('evaluateSae', () => {
  it('an exact-reconstruction SAE scores ce_loss_score 1 and KL 0; CE figures match a direct computation', () => {
    const d = model.config.dModel;
    const sae = splitSae(d, 1);
    const m = evaluateSae(model, sae, windows, { windowsPerBatch: 4 });
    const clean = referenceLosses(undefined), zero = referenceLosses((a) => tf.zerosLike(a));
    expect(m.ce_loss_clean).toBeCloseTo(clean.ce, 4);
    expect(m.ce_loss_zero_ablation).toBeCloseTo(zero.ce, 4);
    // KL sums ~10⁵ float32 terms per run: compare relatively.
    expect(Math.abs(m.kl_div_with_ablation - zero.kl) / zero.kl).toBeLessThan(1e-4);
    expect(m.ce_loss_zero_ablation - m.ce_loss_clean).toBeGreaterThan(0.05); // zeroing the stream really hurts
    expect(m.ce_loss_with_sae).toBeCloseTo(clean.ce, 4);
    expect(m.ce_loss_score).toBeCloseTo(1, 3);
    expect(Math.abs(m.kl_div_with_sae)).toBeLessThan(1e-4);
    expect(m.kl_div_score).toBeCloseTo(1, 3);
    expect(m.explained_variance).toBeCloseTo(1, 4);
    expect(m.mse).toBeLessThan(1e-8);
    expect(m.tokens).toBe(6 * 16);
    expect(m.predictions).toBe(6 * 15);
    // Feature i fires where x_i > 0 and feature d+i where x_i < 0: each pair covers every token.
    for (let i = 0; i < d; i++) expect(m.feature_density[i]! + m.feature_density[d + i]!).toBeCloseTo(1, 9);
    expect(m.l0).toBeCloseTo(d, 9);
    expect(m.density_histogram.counts.reduce((a, b) => a + b, 0) + m.density_histogram.dead).toBe(2 * d);
    expect(m.dead_fraction).toBe(m.density_histogram.dead / (2 * d));
    sae.dispose();
  });

  it('a zero SAE scores 0 (it is the zero ablation); a half-scale SAE matches its own hook run', () => {
    const d = model.config.dModel;
    const zero = splitSae(d, 0);
    const mz = evaluateSae(model, zero, windows);
    expect(mz.ce_loss_score).toBeCloseTo(0, 6);
    expect(mz.kl_div_score).toBeCloseTo(0, 6);
    expect(mz.l0).toBeCloseTo(d, 9); // it encodes like the exact one; only the decoder is zero
    zero.dispose();

    const half = splitSae(d, 0.5);
    const mh = evaluateSae(model, half, windows, { windowsPerBatch: 5 });
    const ref = referenceLosses((a) => tf.mul(a, 0.5));
    expect(mh.ce_loss_with_sae).toBeCloseTo(ref.ce, 4);
    expect(Math.abs(mh.kl_div_with_sae - ref.kl) / ref.kl).toBeLessThan(1e-4);
    expect(mh.ce_loss_score).toBeCloseTo((mh.ce_loss_zero_ablation - ref.ce) / (mh.ce_loss_zero_ablation - mh.ce_loss_clean), 4);
    // Neither extreme (on this random model halving the stream may even beat the clean CE, score > 1).
    expect(Math.abs(mh.ce_loss_score)).toBeGreaterThan(0.01);
    expect(Math.abs(mh.ce_loss_score - 1)).toBeGreaterThan(0.01);
    // x̂ = x/2: explained variance 1 − Σ(x/2)²/Σ(x − x̄)², checked through mse = mean((x/2)²).
    expect(mh.explained_variance).toBeLessThan(1);
    expect(mh.mse).toBeGreaterThan(0);
    half.dispose();
  });

  it('refuses a hook the model does not have', () => {
    const sae = splitSae(model.config.dModel, 1);
    expect(() => evaluateSae(model, sae, windows, { hook: 'blocks.9.hook_resid_post' })).toThrow(/not a hook point/);
    sae.dispose();
  });
});

describe('densityHistogram', () => {
  it('bins log10 densities between log10(1/tokens) and 0 and counts dead features apart', () => {
    const h = densityHistogram([0, 1 / 100, 1, 0.1, 0, 0.5], 100, 4); // edges -2, -1.5, -1, -0.5, 0
    expect(h.log10Edges).toEqual([-2, -1.5, -1, -0.5, 0]);
    expect(h.dead).toBe(2);
    expect(h.counts).toEqual([1, 0, 1, 2]);
  });
});
