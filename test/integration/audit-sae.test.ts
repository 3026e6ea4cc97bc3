// audit.run over an imported SAE's features through a real host and engine process, on the
// planted-gender model (planted-gender.ts): the feature that carries the attribute into the
// context and drives the planted outcome is tagged `bias`, the one that only encodes it
// `gender-sensitive`, the token-identity feature nothing; each finding is an experiment of that
// SAE, shows its label, replays, and the report names the SAE (name, hook, architecture, width,
// content hash), the set's version, positions, α, seed and app version.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/host/run-job';
import { saeContentHash } from '../../src/engine/audit/provenance';
import { callOrThrow } from '../../src/shared/call';
import { GENDER_FEATURE, GENDER_HOOK, GENDER_PAIRS, GENDER_SAE_WIDTH, SENSITIVE_ONLY, outcomeTokens, writeGenderModel, writeGenderSae } from '../unit/audit/planted-gender';
import { startTestHost } from './helpers';

describe('audit over SAE features', () => {
  let t: Awaited<ReturnType<typeof startTestHost>>;
  let modelDir: string;
  let saeDir: string;
  let work: string;
  beforeAll(async () => {
    t = await startTestHost();
    modelDir = writeGenderModel();
    saeDir = writeGenderSae(true);
    work = mkdtempSync(join(tmpdir(), 'featurescope-audit-sae-'));
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    for (const dir of [modelDir, saeDir, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tags the bias driver bias and the encoder gender-sensitive, logs them under the SAE with labels, names the SAE, and replays', async () => {
    const { saeId } = await callOrThrow(t.host, 'sae.import', { path: saeDir, name: 'planted-gender-sae' });
    await callOrThrow(t.host, 'catalog.setLabel', { saeId, idx: GENDER_FEATURE, label: 'gender in context' });

    const { nurse, engineer } = outcomeTokens();
    const setPath = join(work, 'animals.json');
    writeFileSync(setPath, JSON.stringify({ id: 'animals', version: 3, title: 'cat vs dog', sideA: 'cat', sideB: 'dog', attribute: 'gender', outcome: { tokenA: nurse, tokenB: engineer, label: 'nurse vs engineer' }, pairs: GENDER_PAIRS }));
    const r = await runJob(t.host, 'audit.run', { model: modelDir, sae: saeId, contrastSet: setPath, topN: 5, seed: 3 });
    expect(r).toMatchObject({ pairs: GENDER_PAIRS.length, comparedPairs: GENDER_PAIRS.length - 1, unitsTested: GENDER_SAE_WIDTH, significant: 2, biasDrivers: 1 });
    expect(r.sae).toMatchObject({ id: saeId, name: 'planted-gender-sae', hook: GENDER_HOOK, architecture: 'standard', width: GENDER_SAE_WIDTH });
    expect(r.sae!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.method).toMatchObject({ positions: 'context', pooling: 'mean', alpha: 0.05, minEffect: 0.5, seed: 3 });
    expect(r.findings.map((f) => [f.index, f.role, f.tag, f.label])).toEqual([
      [GENDER_FEATURE, 'bias', 'bias', 'gender in context'],
      [SENSITIVE_ONLY, 'sensitive', 'gender-sensitive', null],
    ]);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ hook: GENDER_HOOK, unitKind: 'sae-feature', tagged: true });
    expect(f.measuredEffect).toBeGreaterThan(0.1 * r.outcome!.gapMean);

    // The catalog: each feature carries its tag, each finding is an experiment of this SAE.
    const db = new Database(join(t.home, 'workspaces', 'default', 'catalog.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT ft.idx, t.name FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id WHERE ft.sae_id = ? ORDER BY ft.idx').all(saeId)).toEqual([
        { idx: GENDER_FEATURE, name: 'bias' },
        { idx: SENSITIVE_ONLY, name: 'gender-sensitive' },
      ]);
      const saeFolder = (db.prepare('SELECT weights_path FROM saes WHERE id = ?').get(saeId) as { weights_path: string }).weights_path;
      expect(r.sae!.contentHash).toBe(saeContentHash(saeFolder));
    } finally {
      db.close();
    }
    const logged = await callOrThrow(t.host, 'catalog.experiments', { saeId, limit: 10 });
    expect(logged.map((e) => e.citeId).sort()).toEqual(r.findings.map((x) => x.citeId).sort());

    const replay = await t.host.call('audit.replay', { ref: f.citeId });
    expect(replay).toMatchObject({ ok: true, value: { replayOf: f.citeId, matches: true, method: 'context' } });

    const html = readFileSync(r.reportPath, 'utf8');
    expect(html).toContain(`id="${f.citeId}"`);
    for (const text of ['SAE “planted-gender-sae”', `standard, ${GENDER_SAE_WIDTH} features at ${GENDER_HOOK}`, r.sae!.contentHash, 'animals version 3', 'the tokens both sides share after the swapped words', 'α = 0.05', '<dt>Seed</dt><dd>3</dd>', 'App version', 'feature 5 “gender in context”', 'tagged bias', 'tagged gender-sensitive']) {
      expect(html).toContain(text);
    }
  }, 120_000);
});
