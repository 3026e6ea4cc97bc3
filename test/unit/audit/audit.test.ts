// The bias audit on a planted token neuron: a neuron hand-set to fire on " dog" (side b) and not
// on " cat" (side a) comes out first when every token is pooled (the method before #18) and not at
// the shared context, where it is the token-identity unit it is; the paired t-test, the
// sign-flip permutation p and BH q-values against closed forms.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit, unitEvidence, type TokenPair } from '../../../src/engine/audit/audit';
import { signFlipP } from '../../../src/engine/audit/permutation';
import { benjaminiHochberg, pairedTTest, studentTwoSidedP } from '../../../src/engine/audit/stats';
import { initBackend } from '../../../src/engine/backend';
import { loadModel, type LoadedModel } from '../../../src/engine/model/load';
import { PLANTED, PLANTED_PAIRS, writePlantedModel } from './planted';

describe('audit statistics', () => {
  it('Student t two-sided p matches tabled quantiles', () => {
    // t_{0.975, df}: 12.706 (1), 2.228 (10), 2.042 (30); t_{0.995, 5} = 4.032.
    expect(studentTwoSidedP(12.706, 1)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(2.228, 10)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(2.042, 30)).toBeCloseTo(0.05, 3);
    expect(studentTwoSidedP(4.032, 5)).toBeCloseTo(0.01, 4);
    expect(studentTwoSidedP(0, 7)).toBeCloseTo(1, 12);
  });

  it('paired t-test by hand: differences 1, 2, 3, 4 give t = 2.5/(1.291/2)', () => {
    const r = pairedTTest([0, 0, 0, 0], [1, 2, 3, 4]);
    expect(r.meanDiff).toBe(2.5);
    expect(r.sdDiff).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(r.t).toBeCloseTo(2.5 / (Math.sqrt(5 / 3) / 2), 12);
    expect(r.p).toBeCloseTo(studentTwoSidedP(r.t, 3), 12);
    expect(pairedTTest([1, 2, 3], [1, 2, 3]).p).toBe(1);
    expect(pairedTTest([1, 2, 3], [2, 3, 4]).p).toBe(0);
  });

  it('sign-flip permutation p: exact-ish for a clear effect, 1 for no difference, uniform-ish under the null, seeded', () => {
    // Eight positive differences: the exact two-sided p is 2/2^8 = 0.0078.
    expect(signFlipP([1, 2, 3, 4, 5, 6, 7, 8], { permutations: 20000, seed: 1 })).toBeCloseTo(2 / 256, 2);
    expect(signFlipP([0, 0, 0])).toBe(1);
    expect(signFlipP([1, -1, 2, -2], { seed: 4 })).toBe(signFlipP([1, -1, 2, -2], { seed: 4 }));
    // Symmetric differences (mean 0): every flip reaches |0|; p = 1 after the early stop.
    expect(signFlipP([1, -1, 2, -2])).toBe(1);
    // Under the null, p < 0.05 about 5 % of the time.
    let small = 0;
    for (let k = 0; k < 200; k++) {
      const d = Array.from({ length: 12 }, (_, i) => Math.sin(k * 31 + i * 7.3) * (i % 2 ? 1 : -1));
      if (signFlipP(d, { permutations: 999, seed: k }) < 0.05) small++;
    }
    expect(small).toBeLessThan(25);
  });

  it('Benjamini–Hochberg q-values', () => {
    // p sorted 0.01, 0.02, 0.03, 0.5 (m = 4): raw 0.04, 0.04, 0.04, 0.5 → monotone.
    expect([...benjaminiHochberg([0.5, 0.01, 0.03, 0.02])].map((v) => +v.toFixed(6))).toEqual([0.5, 0.04, 0.04, 0.04]);
  });
});

describe('audit on a planted neuron', () => {
  let dir: string;
  let model: LoadedModel;
  let pairs: TokenPair[];
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    dir = writePlantedModel();
    model = await loadModel(dir);
    pairs = PLANTED_PAIRS.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('at the shared context the token neuron is no finding', async () => {
    const catId = model.tokenizer.encode(' cat', { addSpecialTokens: false })[1]!;
    const dogId = model.tokenizer.encode(' dog', { addSpecialTokens: false })[1]!;
    const result = await runAudit(model, pairs, { site: { kind: 'neurons', layers: [0] }, metric: { kind: 'logit-diff', tokenA: catId, tokenB: dogId } });
    expect(result.findings.map((f) => `${f.hook}[${f.index}]`)).not.toContain(`${PLANTED.hook}[${PLANTED.index}]`);
  });

  it('pooled over every token it puts the planted neuron first, with all three lines of evidence pointing at it', async () => {
    expect(pairs.every((p) => p.a.length === p.b.length)).toBe(true);
    const catId = model.tokenizer.encode(' cat', { addSpecialTokens: false })[1]!;
    const dogId = model.tokenizer.encode(' dog', { addSpecialTokens: false })[1]!;
    const result = await runAudit(model, pairs, { site: { kind: 'neurons' }, positions: 'all', metric: { kind: 'logit-diff', tokenA: catId, tokenB: dogId }, topN: 10 });
    expect(result.unitsTested).toBe(2 * 128);
    const top = result.findings[0]!;
    expect({ hook: top.hook, index: top.index }).toEqual(PLANTED);
    expect(top.meanB).toBeGreaterThan(top.meanA);
    expect(top.q).toBeLessThan(0.01);
    expect(top.attribution).not.toBeNull();
    // The probe separates the sides with few units, the planted one among them.
    expect(result.probe.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(top.probeWeight)).toBeGreaterThan(0);
    // The evidence replays exactly.
    const again = unitEvidence(model, pairs, top.hook, top.index, undefined, 'mean', 'all');
    expect(again.meanDiff).toBeCloseTo(top.meanDiff, 6);
    expect(again.valuesB).toEqual(top.valuesB);
  });
});
