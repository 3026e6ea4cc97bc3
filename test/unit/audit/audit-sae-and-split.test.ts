// The audit over SAE features (planted-sae.ts: one feature carries the planted "dog" direction
// at the swapped word itself, the others are blind to it) and the probe's pair-respecting
// train/test split. The planted feature is a token-identity feature: the shared-context audit
// must not find it, every-token pooling (the method before #18) does.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditRunCount, runAudit, unitEvidence, type AuditOptions, type TokenPair } from '../../../src/engine/audit/audit';
import { loadModel, type LoadedModel } from '../../../src/engine/model/load';
import { fitProbe, groupedSplit } from '../../../src/engine/probes/probe';
import { loadSaeLens } from '../../../src/engine/sae/io/saelens';
import type { Sae } from '../../../src/engine/sae/sae';
import { PLANTED_PAIRS, writePlantedModel } from './planted';
import { PLANTED_FEATURE, SAE_HOOK, SAE_WIDTH, writePlantedSae } from './planted-sae';
import { useEngineBackend } from '../sae/helpers/backend';

describe('paired train/test split', () => {
  // Rows 0…n−1 are side a, n…2n−1 side b; row i and row n+i are one pair.
  const n = 20;
  const labels = [...new Array<number>(n).fill(0), ...new Array<number>(n).fill(1)];
  const pairOf = labels.map((_, row) => row % n);

  it('holds out ⌈fraction·pairs⌉ whole pairs, seeded: same seed same split, another seed another', () => {
    const a = groupedSplit(labels, pairOf, 0.25, 3);
    expect(a.test.length).toBe(2 * Math.ceil(0.25 * n));
    expect(new Set([...a.train, ...a.test]).size).toBe(2 * n);
    for (const row of a.test) expect(a.test).toContain(row < n ? row + n : row - n);
    const trainPairs = new Set(a.train.map((r) => pairOf[r]));
    expect(a.test.some((r) => trainPairs.has(pairOf[r]))).toBe(false);
    expect(groupedSplit(labels, pairOf, 0.25, 3)).toEqual(a);
    expect(groupedSplit(labels, pairOf, 0.25, 4).test).not.toEqual(a.test);
  });

  it('refuses groups that leave a class on one side only, and a group list of the wrong length', () => {
    // Two groups, each one class: whichever is held out, the other class never reaches the test side.
    expect(() => groupedSplit([0, 0, 1, 1], [0, 0, 1, 1], 0.5, 0)).toThrow(/class \d is missing/);
    expect(() => groupedSplit([0, 1], [0], 0.5, 0)).toThrow(/groups: 1 group ids for 2 rows/);
  });

  it('fitProbe with groups trains and tests on whole pairs', () => {
    // One informative column (side b is higher by 1) and one that names the pair: with an
    // unpaired split a pair's twin sits in training; with groups none does.
    const x = new Float64Array(2 * n * 2);
    labels.forEach((label, row) => {
      x[row * 2] = label + 0.1 * Math.sin(row);
      x[row * 2 + 1] = pairOf[row] as number;
    });
    const result = fitProbe(x, 2, labels, { seed: 1, groups: pairOf });
    const trainPairs = new Set(result.trainRows.map((r) => pairOf[r]));
    expect(result.testRows.every((r) => !trainPairs.has(pairOf[r]))).toBe(true);
    expect(result.smallest?.features.map((f) => f.index)).toEqual([0]);
  });
});

describe('audit over SAE features on the planted model', () => {
  let modelDir: string;
  let saeDir: string;
  let model: LoadedModel;
  let sae: Sae;
  let pairs: TokenPair[];
  beforeAll(async () => {
    // The engine's backend, as the app starts it (loading the SAE registers the wasm kernels, and a
    // registered but unstarted wasm backend refuses tensors).
    await useEngineBackend();
    modelDir = writePlantedModel();
    saeDir = writePlantedSae();
    model = await loadModel(modelDir);
    sae = loadSaeLens(saeDir);
    pairs = PLANTED_PAIRS.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));
  });
  afterAll(() => {
    model?.dispose();
    rmSync(modelDir, { recursive: true, force: true });
    rmSync(saeDir, { recursive: true, force: true });
  });

  it('a token-identity feature is no finding at the shared context', async () => {
    const result = await runAudit(model, pairs, { site: { kind: 'sae', sae }, metric: { kind: 'logit-diff', tokenA: 285, tokenB: 287 }, seed: 2 });
    expect(result.unitsTested).toBe(SAE_WIDTH);
    expect(result.significant).toBe(0);
    expect(result.findings).toEqual([]);
  });

  it('pooled over every token it finds the planted feature and only it, with attribution and probe weight, and replays it', async () => {
    const progress: Array<[number, number, string]> = [];
    const onProgress = (done: number, total: number, message: string) => void progress.push([done, total, message]);
    const options: AuditOptions = { site: { kind: 'sae', sae }, positions: 'all', metric: { kind: 'logit-diff', tokenA: 285, tokenB: 287 }, topN: 10, seed: 2 };
    const result = await runAudit(model, pairs, { ...options, onProgress });
    expect(result.unitsTested).toBe(SAE_WIDTH);
    // The other features read dims the two sides share: identical activations, p = 1.
    expect(result.significant).toBe(1);
    expect(result.findings).toHaveLength(1);
    const f = result.findings[0]!;
    expect(f).toMatchObject({ hook: SAE_HOOK, index: PLANTED_FEATURE, unitKind: 'sae-feature' });
    expect(f.measuredEffect).not.toBeNull();
    expect(f.meanA).toBe(0); // never fires on a cat sentence
    expect(f.meanB).toBeGreaterThan(0);
    expect(f.q).toBeLessThan(0.01); // a permutation p: at least 1/(draws + 1)
    expect(f.attribution).not.toBeNull();
    expect(Math.abs(f.probeWeight)).toBeGreaterThan(0);
    expect(result.probe.testAccuracy).toBeGreaterThanOrEqual(0.9);
    // The probe held out whole pairs: ⌈0.25·20⌉ of them (an unpaired split would touch ~10).
    expect(result.probe.testPairs).toHaveLength(Math.ceil(0.25 * pairs.length));
    // Progress counts model runs: 20 prompts per side in steps of 16, then 20 attributions and 20 verifying patches.
    const total = 2 * pairs.length + 2 * result.attributionPairs;
    expect(result.attributionPairs).toBe(pairs.length);
    expect(progress.every(([, t]) => t === total)).toBe(true);
    expect(auditRunCount(model, pairs, options)).toBe(total); // what a job's meter starts from
    expect(progress.map(([done]) => done).filter((d, i, all) => i > 0 && d < all[i - 1]!)).toEqual([]);
    expect(progress.slice(0, 4).map(([done]) => done)).toEqual([16, 20, 36, 40]);
    expect(progress[progress.length - 1]?.[0]).toBe(total);
    expect(progress.map(([, , m]) => m)).toContain('lasso probe over 16 units');
    const again = unitEvidence(model, pairs, f.hook, f.index, sae, 'mean', 'all');
    expect(again.valuesA).toEqual(f.valuesA);
    expect(again.valuesB).toEqual(f.valuesB);
  });

  it('stops running prompts at the progress report that throws (a cancelled job)', async () => {
    const runs = vi.spyOn(model, 'run');
    try {
      const cancelled = new Error('cancelled at the first report');
      const reports: number[] = [];
      const onProgress = (done: number) => {
        reports.push(done);
        throw cancelled;
      };
      await expect(runAudit(model, pairs, { site: { kind: 'sae', sae }, positions: 'all', onProgress })).rejects.toBe(cancelled);
      // One chunk of side a's prompts ran (16 of 20), then nothing more.
      expect(reports).toEqual([16]);
      expect(runs).toHaveBeenCalledTimes(16);
    } finally {
      runs.mockRestore();
    }
  });
});
