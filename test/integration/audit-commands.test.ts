// probe.train, audit.run and audit.replay through a real host and engine process (the built
// engine): the planted "dog" neuron (a token neuron: it reads the swapped word) tops an audit
// pooled over every token and is no finding at the shared context; findings are logged and
// replay, one logged by the method before #18 replays by that method and says so; the report is
// written to the workspace and to the requested path.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/host/run-job';
import { callOrThrow } from '../../src/shared/call';
import { PLANTED, PLANTED_PAIRS, writePlantedModel } from '../unit/audit/planted';
import { startTestHost } from './helpers';

describe('audit commands', () => {
  let t: Awaited<ReturnType<typeof startTestHost>>;
  let modelDir: string;
  let work: string;
  beforeAll(async () => {
    t = await startTestHost();
    modelDir = writePlantedModel();
    work = mkdtempSync(join(tmpdir(), 'featurescope-audit-'));
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    rmSync(modelDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('audit.run finds the planted token neuron only when every token is pooled, logs replayable findings and writes the report', async () => {
    const setPath = join(work, 'animals.json');
    writeFileSync(setPath, JSON.stringify({ id: 'animals', title: 'cat vs dog', sideA: 'cat', sideB: 'dog', metric: { tokenA: 285, tokenB: 287 }, pairs: PLANTED_PAIRS }));
    const atContext = await runJob(t.host, 'audit.run', { model: modelDir, contrastSet: setPath, layers: [0], topN: 5 });
    expect(atContext.method.positions).toBe('context');
    expect(atContext.findings.map((f) => `${f.hook}[${f.index}]`)).not.toContain(`${PLANTED.hook}[${PLANTED.index}]`);
    const outPath = join(work, 'report.html');
    const r = await runJob(t.host, 'audit.run', { model: modelDir, contrastSet: setPath, positions: 'all', topN: 5, outPath });
    expect({ hook: r.findings[0]?.hook, index: r.findings[0]?.index }).toEqual(PLANTED);
    expect(r.unitsTested).toBe(256);
    expect(existsSync(r.reportPath)).toBe(true);
    expect(r.exportedTo).toBe(outPath);
    const html = readFileSync(outPath, 'utf8');
    expect(html).toBe(readFileSync(r.reportPath, 'utf8'));
    for (const f of r.findings) expect(html).toContain(`id="${f.citeId}"`);
    expect(html).not.toMatch(/<script|https?:\/\//);

    const replay = await t.host.call('audit.replay', { ref: r.findings[0]!.citeId });
    expect(replay).toMatchObject({ ok: true, value: { replayOf: r.findings[0]!.citeId, matches: true } });
    // The alias answers as it always did (no note); experiment.replay dispatches on the kind to the same replay.
    expect((replay as { value: object }).value).not.toHaveProperty('note');
    const any = await t.host.call('experiment.replay', { ref: r.findings[0]!.citeId });
    expect(any).toMatchObject({ ok: true, value: { kind: 'audit', replayOf: r.findings[0]!.citeId, matches: true, meanDiff: (replay as { value: { meanDiff: number } }).value.meanDiff } });
    expect((any as { value: { note: string } }).value.note).toMatch(/^Replayed now \(every token\): mean difference .+, t .+/);
    expect(html).toContain('every token, the swapped words included');

    // A finding logged before #18 (no `positions` in its inputs) replays by its own method and says so.
    const id = Number(r.findings[0]!.citeId.slice('exp-'.length));
    const db = new Database(join(t.home, 'workspaces', 'default', 'catalog.sqlite'));
    try {
      const row = db.prepare('SELECT inputs FROM experiments WHERE id = ?').get(id) as { inputs: string };
      const { positions: _p, contrastSetVersion: _v, ...old } = JSON.parse(row.inputs) as Record<string, unknown>;
      db.prepare('UPDATE experiments SET inputs = ? WHERE id = ?').run(JSON.stringify(old), id);
    } finally {
      db.close();
    }
    const legacy = await t.host.call('experiment.replay', { ref: r.findings[0]!.citeId });
    expect(legacy).toMatchObject({ ok: true, value: { kind: 'audit', matches: true, method: 'all-legacy' } });
    expect((legacy as { value: { note: string } }).value.note).toMatch(/^Made by the old method \(before #18\): activations averaged over every token, the swapped words included/);
    // An alias keeps to its kind; a scan's context choice is refused on other kinds.
    const wrongKind = await t.host.call('probe.replay', { ref: r.findings[0]!.citeId });
    expect(!wrongKind.ok && wrongKind.error).toMatchObject({ code: 'unsupported', field: 'ref' });
    const badChoice = await t.host.call('experiment.replay', { ref: r.findings[0]!.citeId, rank: 1 });
    expect(!badChoice.ok && badChoice.error).toMatchObject({ code: 'invalid_input', field: 'rank' });
    const logged = await t.host.call('catalog.experiment', { ref: r.findings[0]!.citeId });
    expect(logged).toMatchObject({ ok: true, value: { kind: 'audit' } });
  }, 120_000);

  it('the built-in gendered set on the bundled model: compared at the shared context, its outcome measured although " nurse" is several tokens', async () => {
    const bundled = join(__dirname, '../../resources/models/featurescope-tiny');
    const r = await runJob(t.host, 'audit.run', { model: bundled, contrastSet: 'gendered', layers: [0], topN: 5, permutations: 999 });
    expect(r.contrastSet).toMatchObject({ id: 'gendered', version: 2, attribute: 'gender' });
    expect(r.method.positions).toBe('context');
    expect(r.comparedPairs).toBe(r.pairs);
    // The outcome words are continuations (Σ log p of their tokens), so the outcome is measured.
    expect(r.outcomeNote).toBeNull();
    expect(r.outcome).toMatchObject({ label: 'log p(" nurse") − log p(" engineer") after the prompt' });
    expect(Number.isFinite(r.outcome!.gapMean)).toBe(true);
    expect(r.findings.every((f) => f.role === 'sensitive' || f.role === 'bias')).toBe(true);
    expect(readFileSync(r.reportPath, 'utf8')).not.toContain('was not measured');
  }, 180_000);

  it('audit.run refuses an unknown contrast set by name', async () => {
    await expect(runJob(t.host, 'audit.run', { model: modelDir, contrastSet: 'no-such-set' })).rejects.toThrow(/neither a built-in set \(gendered\)/);
  }, 60_000);

  it('probe.train separates dog from cat sentences with the planted neuron and logs a probe experiment', async () => {
    const examples = PLANTED_PAIRS.flatMap((p) => [{ text: p.a, label: 0 as const }, { text: p.b, label: 1 as const }]);
    const v = await callOrThrow(t.host, 'probe.train', { model: modelDir, name: 'dog', hook: PLANTED.hook, examples, seed: 1 });
    expect(v.smallest?.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(v.smallest?.features.map((f) => f.index)).toContain(PLANTED.index);
    expect(await t.host.call('catalog.experiment', { ref: v.experiment.citeId })).toMatchObject({ ok: true, value: { kind: 'probe' } });

    // Re-trained from the log (its prompts and seed): the same path and smallest set.
    const again = await t.host.call('probe.replay', { ref: v.experiment.citeId });
    expect(again).toMatchObject({ ok: true, value: { replayOf: v.experiment.citeId, matches: true, stepsDiffering: 0 } });
    // A log that no longer agrees is reported: nudge the smallest set's first coefficient.
    const db = new Database(join(t.home, 'workspaces', 'default', 'catalog.sqlite'));
    try {
      const id = Number(v.experiment.citeId.slice('exp-'.length));
      const row = db.prepare('SELECT outputs FROM experiments WHERE id = ?').get(id) as { outputs: string };
      const outputs = JSON.parse(row.outputs) as { smallest: { features: Array<{ coef: number }> } };
      outputs.smallest.features[0]!.coef *= 1.5;
      db.prepare('UPDATE experiments SET outputs = ? WHERE id = ?').run(JSON.stringify(outputs), id);
    } finally {
      db.close();
    }
    const changed = await callOrThrow(t.host, 'probe.replay', { ref: v.experiment.citeId });
    expect(changed.matches).toBe(false);
    expect(changed.coefChange).toBeGreaterThan(0.1);
    const any = await callOrThrow(t.host, 'experiment.replay', { ref: v.experiment.citeId });
    expect(any).toMatchObject({ kind: 'probe', matches: false, stepsDiffering: 0 });
    expect(any.note).toMatch(/largest coefficient change \d/);
  }, 60_000);
});
