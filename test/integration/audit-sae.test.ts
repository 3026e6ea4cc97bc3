// audit.run over an imported SAE's features through a real host and engine process: the planted
// SAE feature (planted-sae.ts) is the one finding, it is tagged `bias` in the catalog, logged as
// an experiment of that SAE, and audit.replay says it matches.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/host/run-job';
import { callOrThrow } from '../../src/shared/call';
import { PLANTED_PAIRS, writePlantedModel } from '../unit/audit/planted';
import { PLANTED_FEATURE, SAE_HOOK, SAE_WIDTH, writePlantedSae } from '../unit/audit/planted-sae';
import { startTestHost } from './helpers';

describe('audit over SAE features', () => {
  let t: Awaited<ReturnType<typeof startTestHost>>;
  let modelDir: string;
  let saeDir: string;
  let work: string;
  beforeAll(async () => {
    t = await startTestHost();
    modelDir = writePlantedModel();
    saeDir = writePlantedSae();
    work = mkdtempSync(join(tmpdir(), 'featurescope-audit-sae-'));
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    for (const dir of [modelDir, saeDir, work]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the planted feature, tags it bias, logs it under the SAE and replays it', async () => {
    const { saeId } = await callOrThrow(t.host, 'sae.import', { path: saeDir, name: 'planted-sae' });

    const setPath = join(work, 'animals.json');
    writeFileSync(setPath, JSON.stringify({ id: 'animals', title: 'cat vs dog', sideA: 'cat', sideB: 'dog', metric: { tokenA: 285, tokenB: 287 }, pairs: PLANTED_PAIRS }));
    const r = await runJob(t.host, 'audit.run', { model: modelDir, sae: saeId, contrastSet: setPath, topN: 5 });
    expect(r).toMatchObject({ pairs: PLANTED_PAIRS.length, unitsTested: SAE_WIDTH, significant: 1 });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ hook: SAE_HOOK, index: PLANTED_FEATURE, unitKind: 'sae-feature', tagged: true });
    expect(f.attribution).not.toBeNull();

    // The catalog: the feature carries the tag, the finding is an experiment of this SAE.
    const tags = await t.host.call('catalog.tags', { saeId });
    expect(tags).toMatchObject({ ok: true, value: [{ name: 'bias', count: 1 }] });
    const db = new Database(join(t.home, 'workspaces', 'default', 'catalog.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT ft.idx, t.name FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id WHERE ft.sae_id = ?').all(saeId)).toEqual([{ idx: PLANTED_FEATURE, name: 'bias' }]);
    } finally {
      db.close();
    }
    const logged = await callOrThrow(t.host, 'catalog.experiments', { saeId, limit: 10 });
    expect(logged.map((e) => [e.citeId, e.kind])).toEqual([[f.citeId, 'audit']]);

    const replay = await t.host.call('audit.replay', { ref: f.citeId });
    expect(replay).toMatchObject({ ok: true, value: { replayOf: f.citeId, matches: true } });
    expect(readFileSync(r.reportPath, 'utf8')).toContain(`id="${f.citeId}"`);
  }, 120_000);
});
