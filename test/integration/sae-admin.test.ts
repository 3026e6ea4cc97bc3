// Issue #17: `featurescope saes list|rename|delete` with the built CLI and engine as real processes on
// one real workspace. delete removes every catalog row of the SAE (counted table by table on the
// SQLite file, FTS tables included) in one transaction and then its folder, leaves the other SAE's
// rows alone, and is refused while a job (a real analysis or evaluation process) uses the SAE;
// rename refuses a name in use and takes the SAE's folder with it.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodeHost } from '../../src/host/node-host';
import { callOrThrow } from '../../src/shared/call';
import type { SaeSummary } from '../../src/shared/contract';
import { writeSafetensors } from '../../src/engine/formats/safetensors';
import type { RunOutput } from '../../src/shared/contract';
import { builtDir } from './helpers';
import { analyzeArgs, type CliRun, lastLine, leases, makeWorkspace, MODEL, readCatalog, runCli, waitFor, waitForRunning, type Workspace, workspaceRuns } from './leases-helpers';

let ws: Workspace | undefined;
const { cli } = workspaceRuns(
  () => ws,
  () => {
    ws = undefined;
  },
);

/** Rows of every table of the catalog (FTS tables by their own count; their shadow tables are storage, not rows). */
function tableCounts(w: Workspace): Record<string, number> {
  return readCatalog(w, (db) => {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT GLOB '*_fts_*' ORDER BY name`).pluck().all() as string[];
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]));
  });
}

/** The rows that belong to one SAE, in every table that holds any, counted independently of the delete's own list. */
function rowsOf(w: Workspace, saeId: number): Record<string, number> {
  return readCatalog(w, (db) => {
    const n = (sql: string) => db.prepare(sql).pluck().get({ saeId }) as number;
    const features = `(SELECT id FROM features WHERE sae_id = @saeId)`;
    const examples = `(SELECT id FROM examples WHERE feature_id IN ${features})`;
    return {
      saes: n(`SELECT count(*) FROM saes WHERE id = @saeId`),
      analyses: n(`SELECT count(*) FROM analyses WHERE sae_id = @saeId`),
      features: n(`SELECT count(*) FROM features WHERE sae_id = @saeId`),
      examples: n(`SELECT count(*) FROM examples WHERE id IN ${examples}`),
      logit_effects: n(`SELECT count(*) FROM logit_effects WHERE feature_id IN ${features}`),
      features_fts: n(`SELECT count(*) FROM features_fts WHERE rowid IN ${features}`),
      symbols_fts: n(`SELECT count(*) FROM symbols_fts WHERE rowid IN ${features}`),
      examples_fts: n(`SELECT count(*) FROM examples_fts WHERE rowid IN ${examples}`),
      labels: n(`SELECT count(*) FROM labels WHERE sae_id = @saeId`),
      feature_tags: n(`SELECT count(*) FROM feature_tags WHERE sae_id = @saeId`),
      tags: n(`SELECT count(*) FROM tags WHERE id IN (SELECT tag_id FROM feature_tags WHERE sae_id = @saeId) AND id NOT IN (SELECT tag_id FROM feature_tags WHERE sae_id <> @saeId)`),
      notes: n(`SELECT count(*) FROM notes WHERE sae_id = @saeId`),
      watchlist_entries: n(`SELECT count(*) FROM watchlist_entries WHERE sae_id = @saeId`),
    };
  });
}

async function saesOf(): Promise<SaeSummary[]> {
  return JSON.parse((await runCli(ws!, ['saes', 'list', '--json'])).stdout()) as SaeSummary[];
}

/** Two imported SAEs (their own folders under saes/), both analysed, with labels, tags, notes, a watchlist and a logged experiment. */
async function populated(): Promise<{ s1: number; s2: number }> {
  ws = makeWorkspace([]);
  const weights = join(ws.home, 'sae-weights');
  await runCli(ws, ['import', '--path', weights, '--name', 's1']);
  await runCli(ws, ['import', '--path', weights, '--name', 's2']);
  const [s1, s2] = (await saesOf()).map((s) => s.id) as [number, number];
  for (const name of ['s1', 's2']) await runCli(ws, analyzeArgs(ws, name, 1500));
  const host = createNodeHost('serve', builtDir, { ...process.env, FEATURESCOPE_HOME: ws.home });
  try {
    await host.engine.whenReady(120_000);
    for (const saeId of [s1, s2]) {
      await callOrThrow(host, 'catalog.setLabel', { saeId, idx: 3, label: `fox feature of ${saeId}` });
      await callOrThrow(host, 'catalog.addTag', { saeId, idx: 3, tag: 'shared-tag' });
      await callOrThrow(host, 'catalog.addTag', { saeId, idx: 4, tag: `only-${saeId}` });
      await callOrThrow(host, 'catalog.addNote', { saeId, idx: 3, text: 'looks at foxes' });
      await callOrThrow(host, 'experiment.run', { model: MODEL, prompt: 'the quick brown fox', sae: saeId, interventions: [{ hook: 'blocks.1.hook_resid_post', kind: 'ablate-zero', target: { saeFeatures: [3] } }] });
    }
    await callOrThrow(host, 'watchlist.save', { name: 'mixed', entries: [{ saeId: s1, idx: 3, threshold: 0.1 }, { saeId: s2, idx: 3, threshold: 0.1 }, { saeId: s1, idx: 5, threshold: 0.2 }] });
  } finally {
    await host.close();
  }
  return { s1, s2 };
}

describe('featurescope saes delete', () => {
  it('removes every row of the SAE in every table and its folder, and nothing of the other SAE', async () => {
    const { s1, s2 } = await populated();
    const before = tableCounts(ws!);
    const mine = rowsOf(ws!, s1);
    const theirs = rowsOf(ws!, s2);
    // Every kind of row is there to be deleted, so the counts below can fail.
    for (const [table, n] of Object.entries(mine)) expect(n, table).toBeGreaterThan(0);
    const folder = join(ws!.home, 'workspaces', 'default', 'saes', 's1');
    expect(existsSync(folder)).toBe(true);

    const r = await runCli(ws!, ['saes', 'delete', '--sae', 's1', '--json']);
    const result = JSON.parse(r.stdout()) as { rows: Record<string, number>; folders: string[] };
    expect(result.folders).toEqual([folder]);
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(join(ws!.home, 'workspaces', 'default', 'saes', '.pending'))).toBe(false);

    const after = tableCounts(ws!);
    for (const table of Object.keys(before)) {
      const gone = table === 'experiments' ? 0 : (mine[table as keyof typeof mine] ?? 0);
      expect(after[table], table).toBe(before[table]! - gone);
    }
    for (const table of Object.keys(result.rows)) expect(result.rows[table], table).toBe(mine[table as keyof typeof mine]);
    expect(rowsOf(ws!, s1)).toEqual(Object.fromEntries(Object.keys(mine).map((k) => [k, 0])));
    // The other SAE keeps all its rows ("tags" counts the tag names only it uses: shared-tag is now one).
    expect({ ...rowsOf(ws!, s2), tags: theirs.tags }).toEqual(theirs);
    const tagNames = readCatalog(ws!, (db) => db.prepare(`SELECT name FROM tags ORDER BY name`).pluck().all());
    expect(tagNames).toEqual([`only-${s2}`, 'shared-tag']);
    // The experiment log stays citable, no longer linked to the deleted SAE.
    expect(readCatalog(ws!, (db) => db.prepare(`SELECT count(*) FROM experiments WHERE sae_id IS NULL`).pluck().get())).toBe(1);
    expect((await saesOf()).map((s) => s.name)).toEqual(['s2']);
    const again = cli(['saes', 'delete', '--sae', 's1']);
    expect(await again.exited).toBe(1);
    expect(lastLine(again.stderr())).toContain('No SAE named "s1"');
  }, 300_000);

  it('is refused while an analysis of the SAE runs in another process, naming it, and works once that process is gone', async () => {
    ws = makeWorkspace([]);
    await runCli(ws, ['import', '--path', join(ws.home, 'sae-weights'), '--name', 's1']);
    const analysis = cli(analyzeArgs(ws, 's1', 200_000));
    await waitForRunning(ws, 's1', analysis);
    const holder = leases(ws).find((l) => l.output.startsWith('analysis:'))!;
    for (const args of [['saes', 'delete', '--sae', 's1'], ['saes', 'rename', '--sae', 's1', '--name', 'other']]) {
      const refused = cli(args);
      expect(await refused.exited).toBe(1);
      const message = lastLine(refused.stderr());
      expect(message).toMatch(/^featurescope: SAE "s1" cannot be (deleted|renamed) now\. The analysis of SAE "s1" is already being written by another process: /);
      expect(message).toContain(`pid ${holder.pid} on host `);
      expect(message).toContain(`running "${holder.command}"`);
    }
    expect((await saesOf()).map((s) => s.name)).toEqual(['s1']);
    expect(existsSync(join(ws.home, 'workspaces', 'default', 'saes', 's1'))).toBe(true);
    analysis.killGroup();
    await analysis.exited;
    await runCli(ws, ['saes', 'delete', '--sae', 's1']);
    expect(await saesOf()).toEqual([]);
  }, 300_000);

  it('is refused while a job that only reads the SAE (an evaluation) runs in another process', async () => {
    ws = makeWorkspace([]);
    await runCli(ws, ['import', '--path', join(ws.home, 'sae-weights'), '--name', 's1']);
    const [{ id }] = (await saesOf()) as [SaeSummary];
    const evaluation = cli(['evaluate', '--sae', 's1', '--corpus', ws.corpus, '--model', MODEL, '--windows', '4096']);
    const use = await waitFor(
      () => {
        if (evaluation.child.exitCode !== null) throw new Error(`the evaluation ended before the test saw it: ${lastLine(evaluation.stderr())}`);
        return leases(ws!).find((l) => l.output.startsWith(`sae-use:${id}:`));
      },
      120_000,
      'the evaluation’s use of s1',
    );
    const refused = cli(['saes', 'delete', '--sae', 's1']);
    expect(await refused.exited).toBe(1);
    expect(lastLine(refused.stderr())).toContain(`SAE "s1" cannot be deleted while a job uses it: pid ${use.pid} on host `);
    expect(lastLine(refused.stderr())).toContain('(job sae.evaluate)');
    expect((await saesOf()).map((s) => s.name)).toEqual(['s1']);
    evaluation.killGroup();
    await evaluation.exited;
    await runCli(ws, ['saes', 'delete', '--sae', 's1']);
    expect(await saesOf()).toEqual([]);
  }, 300_000);
});

describe('featurescope saes rename', () => {
  it('refuses a name in use or a folder in the way, and moves the SAE’s folder with a new name', async () => {
    ws = makeWorkspace([]);
    const weights = join(ws.home, 'sae-weights');
    await runCli(ws, ['import', '--path', weights, '--name', 's1']);
    await runCli(ws, ['import', '--path', weights, '--name', 's2']);
    const taken = cli(['saes', 'rename', '--sae', 's1', '--name', 's2']);
    expect(await taken.exited).toBe(2);
    expect(lastLine(taken.stderr())).toBe('featurescope: An SAE named "s2" is already in the catalog; pick another name. Nothing was renamed.');
    const same = cli(['saes', 'rename', '--sae', 's1', '--name', 's1']);
    expect(await same.exited).toBe(2);
    const badName = cli(['saes', 'rename', '--sae', 's1', '--name', '../x']);
    expect(await badName.exited).toBe(2);
    expect(lastLine(badName.stderr())).toContain('--name must be letters, digits, . _ - only');

    const r = JSON.parse((await runCli(ws, ['saes', 'rename', '--sae', 's1', '--name', 'fox-sae', '--json'])).stdout()) as { name: string; previousName: string; path: string };
    const saesDir = join(ws.home, 'workspaces', 'default', 'saes');
    expect(r).toMatchObject({ name: 'fox-sae', previousName: 's1', path: join(saesDir, 'fox-sae') });
    expect(existsSync(join(saesDir, 's1'))).toBe(false);
    expect(existsSync(join(saesDir, 'fox-sae', 'cfg.json'))).toBe(true);
    expect((await saesOf()).map((s) => s.name)).toEqual(['fox-sae', 's2']);
    // The renamed SAE still runs from its new folder, and its old name is free for a new SAE.
    await runCli(ws, ['run', '--model', MODEL, '--prompt', 'the fox', '--sae', 'fox-sae', '--steer-feature', '3=4']);
    await runCli(ws, ['import', '--path', weights, '--name', 's1']);
    expect((await saesOf()).map((s) => s.name)).toEqual(['fox-sae', 's2', 's1']);
  }, 300_000);
});

describe('an engine that keeps SAEs loaded', () => {
  it('does not run a deleted SAE’s weights for the new SAE that took its id', async () => {
    ws = makeWorkspace([]);
    const weightsA = join(ws.home, 'sae-weights');
    // A second SAE of the same shape whose decoder moves the residual differently.
    const weightsB = join(ws.home, 'sae-weights-b');
    cpSync(weightsA, weightsB, { recursive: true });
    const dIn = 32;
    const dSae = 512;
    writeSafetensors(join(weightsB, 'sae_weights.safetensors'), [
      { name: 'W_enc', dtype: 'F32', shape: [dIn, dSae], data: new Float32Array(dIn * dSae).map((_, i) => Math.sin(i * 7.1) * 0.3) },
      { name: 'W_dec', dtype: 'F32', shape: [dSae, dIn], data: new Float32Array(dSae * dIn).map((_, i) => Math.cos(i * 1.7) * 0.8) },
      { name: 'b_enc', dtype: 'F32', shape: [dSae], data: new Float32Array(dSae) },
      { name: 'b_dec', dtype: 'F32', shape: [dIn], data: new Float32Array(dIn) },
    ]);
    await runCli(ws, ['import', '--path', weightsA, '--name', 's1']);
    const steer = { model: MODEL, prompt: 'the quick brown fox', topK: 5, interventions: [{ hook: 'blocks.1.hook_resid_post', kind: 'add' as const, target: { saeFeatures: [3] }, value: 20 }] };
    const host = createNodeHost('serve', builtDir, { ...process.env, FEATURESCOPE_HOME: ws.home });
    try {
      await host.engine.whenReady(120_000);
      const [first] = (await saesOf()) as [SaeSummary];
      const withA = await callOrThrow(host, 'model.run', { ...steer, sae: first.id });
      // Another process deletes it and imports another SAE, which gets the same id.
      await runCli(ws, ['saes', 'delete', '--sae', 's1']);
      await runCli(ws, ['import', '--path', weightsB, '--name', 's1']);
      const [second] = (await saesOf()) as [SaeSummary];
      expect(second.id).toBe(first.id);
      const fresh = JSON.parse((await runCli(ws, ['run', '--model', MODEL, '--prompt', steer.prompt, '--top', '5', '--sae', 's1', '--steer-feature', '3=20', '--json'])).stdout()) as RunOutput;
      expect(fresh.next.map((t) => t.logit)).not.toEqual(withA.next.map((t) => t.logit));
      const again = await callOrThrow(host, 'model.run', { ...steer, sae: second.id });
      expect(again.next).toEqual(fresh.next);
    } finally {
      await host.close();
    }
  }, 300_000);
});

describe('--json wherever a result is printed', () => {
  it('import, captures, analyze, export, saes list and benchmark print their results as JSON', async () => {
    ws = makeWorkspace([]);
    const imported = JSON.parse((await runCli(ws, ['import', '--path', join(ws.home, 'sae-weights'), '--name', 's1', '--json'])).stdout()) as { saeId: number; dSae: number };
    expect(imported).toMatchObject({ dSae: 512, hookName: 'blocks.1.hook_resid_post' });
    expect(JSON.parse((await runCli(ws, ['captures', '--json'])).stdout())).toEqual({ captures: [] });
    const analysed = JSON.parse((await runCli(ws, [...analyzeArgs(ws, 's1', 500), '--json'])).stdout()) as { features: number };
    expect(analysed.features).toBe(512);
    const csv = join(ws.home, 'features.csv');
    expect(JSON.parse((await runCli(ws, ['export', '--sae', 's1', '--format', 'csv', '--out', csv, '--json'])).stdout())).toMatchObject({ path: csv, features: 512 });
    expect((await saesOf()).map((s) => s.id)).toEqual([imported.saeId]);
    const bench = JSON.parse((await runCli(ws, ['benchmark', '--size', '64', '--seconds', '0.2', '--json'])).stdout()) as { gflops: number };
    expect(bench.gflops).toBeGreaterThan(0);
  }, 300_000);
});
