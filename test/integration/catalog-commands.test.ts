import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginAnalysis, commitAnalysis, insertSae, openCatalog, writeFeatures, type FeatureRecord } from '../../src/catalog';
import type { Host } from '../../src/host/host';
import { startTestHost, waitFor } from './helpers';

function feature(idx: number, tokens: string[], values: number[]): FeatureRecord {
  return {
    idx,
    density: 0.01 * (idx + 1),
    maxAct: Math.max(...values),
    meanAct: 1,
    histogram: { scale: 'linear', lo: 0, hi: 10, counts: [5, 3, 1] },
    examples: [{ kind: 'top', bucket: 0, rank: 0, tokens, values, doc: idx, start: 0 }],
    logitEffects: { promoted: [[' def', 2.5]], suppressed: [[' the', -1.5]] },
  };
}

describe('catalog commands through the host: reads on the host connection, writes in the engine', () => {
  let host: Host;
  let dispose: () => Promise<void>;
  const changed: string[][] = [];

  beforeAll(async () => {
    ({ host, dispose } = await startTestHost());
    host.subscribe((event, payload) => {
      if (event === 'catalog.changed') changed.push((payload as { tables: string[] }).tables);
    });
  });
  afterAll(() => dispose());

  it('an empty workspace, migrated by the engine before it reported ready, lists no SAEs', async () => {
    expect(await host.call('catalog.saes', {})).toEqual({ ok: true, value: [] });
    const r = await host.call('catalog.feature', { saeId: 1, idx: 0 });
    expect(!r.ok && r.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no SAE 1/) });
  });

  it('finds seeded features, and a label edit made in the engine is visible to the next read', async () => {
    const writer = openCatalog(host.paths.catalog);
    const saeId = insertSae(writer, {
      name: 'test-sae',
      modelId: null,
      hookName: 'blocks.0.hook_resid_post',
      architecture: 'topk',
      dIn: 8,
      dSae: 2,
      cfg: {},
      metrics: { l0: 3 },
      provenance: { model: 'm', hook: 'blocks.0.hook_resid_post', corpus: null, seed: 1, appVersion: '0.1.0', createdAt: Date.now() },
      weightsPath: '/nonexistent',
    });
    const analysis = beginAnalysis(writer, { saeId, corpusId: null });
    writeFeatures(writer, analysis, [feature(0, ['def', ' foo', '(', ')'], [4, 0.5, 0, 0]), feature(1, [' the', ' cat'], [0.2, 3])]);
    commitAnalysis(writer, analysis);
    writer.close();

    const saes = await host.call('catalog.saes', {});
    expect(saes.ok && saes.value.map((s) => s.id)).toEqual([saeId]);
    const search = await host.call('catalog.search', { saeId, q: 'cat' });
    expect(search.ok && search.value.rows.map((r) => r.idx)).toEqual([1]);

    const set = await host.call('catalog.setLabel', { saeId, idx: 0, label: 'function definitions' });
    expect(set).toEqual({ ok: true, value: { ok: true } });
    await waitFor(() => (changed.some((t) => t.includes('labels')) ? true : undefined), 5000, 'catalog.changed');
    const page = await host.call('catalog.feature', { saeId, idx: 0 });
    expect(page.ok && page.value.label.user).toBe('function definitions');

    const tagged = await host.call('catalog.addTag', { saeId, idx: 0, tag: 'code' });
    expect(tagged.ok).toBe(true);
    const byTag = await host.call('catalog.search', { saeId, tags: ['code'] });
    expect(byTag.ok && byTag.value.total).toBe(1);
    const badTag = await host.call('catalog.addTag', { saeId, idx: 0, tag: 'no spaces allowed' });
    expect(!badTag.ok && badTag.error.field).toBe('tag');
  });
});
