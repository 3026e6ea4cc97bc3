// The audit's controls on the planted-gender model (planted-gender.ts), real tfjs math:
//  - negative control: an SAE with no gender feature, only a token-identity feature and random
//    ones, on the same pairs: no `bias` finding and at most α of its features as findings at the
//    shared context, where the method before #18 (every token pooled) flags the identity feature;
//  - planted bias: the feature that carries the attribute into the context and drives the planted
//    outcome comes first, as a bias driver verified by patching; a feature that encodes the same
//    attribute but does not move the outcome is only sensitive.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit, unitEvidence, type AuditOptions, type TokenPair } from '../../../src/engine/audit/audit';
import { initBackend } from '../../../src/engine/backend';
import { loadModel, type LoadedModel } from '../../../src/engine/model/load';
import { loadSaeLens } from '../../../src/engine/sae/io/saelens';
import type { Sae } from '../../../src/engine/sae/sae';
import { GENDER_FEATURE, GENDER_HOOK, GENDER_PAIRS, GENDER_SAE_WIDTH, IDENTITY_FEATURE, SENSITIVE_ONLY, outcomeTokens, writeGenderModel, writeGenderSae } from './planted-gender';

describe('bias audit controls on a planted attribute', () => {
  let modelDir: string;
  let saeDirs: string[];
  let model: LoadedModel;
  let control: Sae;
  let planted: Sae;
  let pairs: TokenPair[];
  let metric: AuditOptions['metric'];
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    modelDir = writeGenderModel();
    saeDirs = [writeGenderSae(false), writeGenderSae(true)];
    model = await loadModel(modelDir);
    control = loadSaeLens(saeDirs[0]!);
    planted = loadSaeLens(saeDirs[1]!);
    pairs = GENDER_PAIRS.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));
    const { nurse, engineer } = outcomeTokens();
    metric = { kind: 'logit-diff', tokenA: nurse, tokenB: engineer };
  });
  afterAll(() => {
    model?.dispose();
    rmSync(modelDir, { recursive: true, force: true });
    for (const d of saeDirs ?? []) rmSync(d, { recursive: true, force: true });
  });

  it('negative control: no gender feature gives no bias finding and at most α of features as findings', async () => {
    const alpha = 0.05;
    const result = await runAudit(model, pairs, { site: { kind: 'sae', sae: control }, metric, alpha, seed: 3 });
    expect(result.unitsTested).toBe(GENDER_SAE_WIDTH);
    // One template ends on the swapped word ("The cat met the other cat"): nothing shared after it, left out.
    expect(result.comparedPairs.length).toBe(GENDER_PAIRS.length - 1);
    // The model itself is biased (the planted outcome), but no feature of this SAE carries it.
    expect(result.outcome!.gapMean).toBeGreaterThan(0);
    expect(result.outcome!.gapP).toBeLessThan(alpha);
    expect(result.findings.filter((f) => f.role === 'bias')).toEqual([]);
    expect(result.biasDrivers).toBe(0);
    expect(result.significant).toBeLessThanOrEqual(Math.floor(alpha * GENDER_SAE_WIDTH));
    expect(result.findings.map((f) => f.index)).not.toContain(IDENTITY_FEATURE);

    // The method before #18 (pooled over every token, the swapped word included) flags the
    // token-identity feature, and more: the failure #18 reported.
    const old = await runAudit(model, pairs, { site: { kind: 'sae', sae: control }, positions: 'all', alpha, seed: 3 });
    expect(old.findings.map((f) => f.index)).toContain(IDENTITY_FEATURE);
    expect(old.significant).toBeGreaterThan(Math.floor(alpha * GENDER_SAE_WIDTH));
    if (process.env.AUDIT_FIGURES) console.log(JSON.stringify({ context: { significantBeforeFloor: result.significantBeforeFloor, significant: result.significant, bias: result.biasDrivers, gap: result.outcome }, all: { significantBeforeFloor: old.significantBeforeFloor, significant: old.significant, findings: old.findings.map((f) => [f.index, f.role, +f.cohenD.toFixed(2)]) } }));
  });

  it('planted bias: the gender feature that drives the outcome is found first, tagged bias; the one that does not is only sensitive', async () => {
    const result = await runAudit(model, pairs, { site: { kind: 'sae', sae: planted }, metric, seed: 3 });
    const first = result.findings[0]!;
    expect(first).toMatchObject({ hook: GENDER_HOOK, index: GENDER_FEATURE, role: 'bias', unitKind: 'sae-feature' });
    expect(first.meanA).toBe(0);
    expect(first.meanB).toBeGreaterThan(0);
    expect(first.q).toBeLessThan(0.01);
    // Verified by patching: side b's value moves side a's outcome toward side b by a real share of the gap.
    expect(first.measuredEffect!).toBeGreaterThan(0.1 * result.outcome!.gapMean);
    expect(first.attribution!).toBeGreaterThan(0);
    const sensitiveOnly = result.findings.find((f) => f.index === SENSITIVE_ONLY);
    expect(sensitiveOnly?.role).toBe('sensitive');
    expect(Math.abs(sensitiveOnly!.measuredEffect!)).toBeLessThan(0.1 * result.outcome!.gapMean);
    expect(result.biasDrivers).toBe(1);
    if (process.env.AUDIT_FIGURES) console.log(JSON.stringify({ planted: result.findings.map((f) => [f.index, f.role, +f.cohenD.toFixed(2), f.measuredEffect, f.attribution]), gap: result.outcome, significant: result.significant, beforeFloor: result.significantBeforeFloor }));
    expect(result.findings.map((f) => f.index)).not.toContain(IDENTITY_FEATURE);
    expect(result.significant).toBeLessThanOrEqual(2 + Math.floor(0.05 * GENDER_SAE_WIDTH));
    // The evidence replays exactly at the same positions.
    const again = unitEvidence(model, pairs, first.hook, first.index, planted, 'mean', 'context');
    expect(again.valuesA).toEqual(first.valuesA);
    expect(again.valuesB).toEqual(first.valuesB);
  });
});
