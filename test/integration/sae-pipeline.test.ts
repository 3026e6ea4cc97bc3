import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../src/host/host';
import { runJob } from '../../src/host/run-job';
import { callOrThrow } from '../../src/shared/call';
import type { Intervention } from '../../src/shared/contract';
import { startTestHost } from './helpers';

const fixture = resolve(__dirname, '../fixtures/models/gpt2');
const HOOK = 'blocks.1.hook_resid_post';

describe('capture → train → catalog, and import, as jobs of the engine process', () => {
  /** The figures of the evaluation sae.train ran at its end. */
  let endOfTraining: Record<string, number> = {};
  let host: Host;
  let home: string;
  let dispose: () => Promise<void>;
  let corpus: string;

  beforeAll(async () => {
    ({ host, home, dispose } = await startTestHost());
    const dir = mkdtempSync(join(tmpdir(), 'featurescope-corpus-'));
    corpus = join(dir, 'corpus.txt');
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(`line ${i}: the quick brown fox ${i % 7 === 0 ? 'def main():' : 'jumps over'} the lazy dog ${i * 37 % 101}.`);
    writeFileSync(corpus, lines.join('\n'));
  });
  afterAll(() => dispose());

  it('captures activations with progress into the workspace', async () => {
    const progress: string[] = [];
    const r = await runJob(host, 'capture.start', { model: fixture, corpus: { kind: 'txt', path: corpus }, hooks: [HOOK], name: 'cap', contextLength: 32, maxTokens: 4000 }, (p) => progress.push(p.unit));
    expect(r.tokens).toBe(4000);
    expect(r.stores).toHaveLength(1);
    expect(r.stores[0]!.storeDir.startsWith(join(home, 'workspaces', 'default', 'activations', 'cap'))).toBe(true);
    expect(progress).toContain('tokens');
  });

  it('trains a topk SAE with live metrics, saves it in SAELens layout and lists it in the catalog', async () => {
    const store = join(home, 'workspaces', 'default', 'activations', 'cap', HOOK);
    const metrics: Array<Record<string, number>> = [];
    const r = await runJob(host, 'sae.train', { store, name: 'sae-a', architecture: 'topk', dSae: 64, k: 4, steps: 60, batchSize: 128, seed: 3, checkpointEvery: 20, evalWindows: 16 }, (p) => {
      if (p.metrics) metrics.push(p.metrics);
    });
    expect(r.status).toBe('completed');
    expect(r.step).toBe(60);
    expect(metrics.length).toBeGreaterThan(0);
    expect(Object.keys(metrics.at(-1)!)).toEqual(expect.arrayContaining(['mse', 'explained_variance', 'l0', 'dead_fraction', 'lr']));
    expect(r.metrics.l0).toBeCloseTo(4, 5);
    expect(r.metrics.explained_variance).toBeGreaterThan(0);
    const cfg = JSON.parse(readFileSync(join(r.path, 'cfg.json'), 'utf8'));
    expect(cfg).toMatchObject({ architecture: 'topk', d_in: 32, d_sae: 64, k: 4, metadata: { hook_name: HOOK } });
    expect(existsSync(join(r.path, 'sae_weights.safetensors'))).toBe(true);
    // Evaluated at the end on the capture's own model and corpus (16 full 32-token windows).
    expect(r.evaluationSkipped).toBeNull();
    expect(r.evaluation?.windows).toBe(16);
    expect(r.evaluation?.metrics.eval_tokens).toBe(16 * 32);
    endOfTraining = r.evaluation!.metrics;

    const saes = await host.call('catalog.saes', {});
    expect(saes.ok && saes.value.find((s) => s.name === 'sae-a')?.provenance).toMatchObject({ model: fixture, seed: 3 });
    // Linked to the model row capture.start remembered (saes.model_id), which model.list now shows.
    const trained = saes.ok ? saes.value.find((s) => s.name === 'sae-a') : undefined;
    expect(trained?.modelId).toEqual(expect.any(Number));
    expect(trained?.trainedOn).toBe(fixture);
    const listed = await host.call('model.list', {});
    expect(listed.ok && listed.value.filter((m) => m.path === fixture)).toHaveLength(1);

    await expect(runJob(host, 'sae.train', { store, name: 'sae-a', dSae: 64, k: 4, steps: 10 })).rejects.toMatchObject({ code: 'invalid_input', field: 'name' });
  });

  it('analyses the SAE into the catalog, where search and the feature page read it', async () => {
    const saeId = (await callOrThrow(host, 'catalog.saes', {})).find((s) => s.name === 'sae-a')!.id;
    const r = await runJob(host, 'sae.analyze', { saeId, corpus: { kind: 'txt', path: corpus }, maxTokens: 3000, topExamples: 5 });
    expect(r.features).toBe(64);
    expect(r.tokens).toBe(3000);
    const rows = await callOrThrow(host, 'catalog.search', { saeId, sort: 'density', limit: 5 });
    expect(rows.total).toBe(64);
    const live = rows.rows[0]!;
    expect(live.density).toBeGreaterThan(0);
    expect(live.explanation.length).toBeGreaterThan(0);
    const p = await callOrThrow(host, 'catalog.feature', { saeId, idx: live.idx });
    const top = p.examples.filter((e) => e.kind === 'top');
    expect(top.length).toBeGreaterThan(0);
    expect(top[0]!.values).toHaveLength(top[0]!.tokens.length);
    expect(Math.max(...top[0]!.values)).toBeCloseTo(p.feature.maxAct, 3);
    expect(p.logitEffects?.promoted.length).toBeGreaterThan(0);
  });

  it('exports the SAE as a SAELens folder and the features as CSV and Neuronpedia-like JSON Lines', async () => {
    const saeId = (await callOrThrow(host, 'catalog.saes', {})).find((s) => s.name === 'sae-a')!.id;
    const out = mkdtempSync(join(tmpdir(), 'fs-export-'));
    const folder = await host.call('sae.export', { saeId, dir: join(out, 'sae') });
    expect(folder).toEqual({ ok: true, value: { dir: join(out, 'sae'), files: ['cfg.json', 'sae_weights.safetensors'] } });
    expect(readFileSync(join(out, 'sae', 'sae_weights.safetensors')).equals(readFileSync(join(home, 'workspaces', 'default', 'saes', 'sae-a', 'sae_weights.safetensors')))).toBe(true);
    const again = await host.call('sae.export', { saeId, dir: join(out, 'sae') });
    expect(!again.ok && again.error.field).toBe('dir');

    const csv = await runJob(host, 'catalog.export', { saeId, format: 'csv', path: join(out, 'features.csv') });
    expect(csv.features).toBe(64);
    const lines = readFileSync(join(out, 'features.csv'), 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('index,density,max_act,mean_act,user_label,explanation,top_tokens');
    expect(lines).toHaveLength(65);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(Array.from({ length: 64 }, (_, i) => i));

    const np = await runJob(host, 'catalog.export', { saeId, format: 'neuronpedia-jsonl', path: join(out, 'features.jsonl') });
    const records = readFileSync(join(out, 'features.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { index: string; layer: string; frac_nonzero: number; activations: Array<{ tokens: string[]; values: number[] }> });
    expect(records).toHaveLength(np.features);
    expect(records[0]).toMatchObject({ index: '0', layer: HOOK });
    const live = records.find((r) => r.frac_nonzero > 0)!;
    expect(live.activations[0]!.values).toHaveLength(live.activations[0]!.tokens.length);
    const relative = await host.call('catalog.export', { saeId, format: 'csv', path: 'features.csv' });
    expect(!relative.ok && relative.error.field).toBe('path');
  });

  it('imports a SAELens folder under a new name and refuses pickles with a way out', async () => {
    const saeDir = join(home, 'workspaces', 'default', 'saes', 'sae-a');
    const ok = await host.call('sae.import', { path: saeDir, name: 'sae-copy' });
    expect(ok).toMatchObject({ ok: true, value: { architecture: 'topk', dIn: 32, dSae: 64, hookName: HOOK } });
    const pt = join(mkdtempSync(join(tmpdir(), 'fs-pt-')), 'sae.pt');
    writeFileSync(pt, 'not really a pickle');
    const refused = await host.call('sae.import', { path: pt, name: 'nope' });
    expect(!refused.ok && refused.error.code).toBe('unsupported');
    expect(!refused.ok && refused.error.message).toMatch(/safetensors|SAELens/);
    const taken = await host.call('sae.import', { path: saeDir, name: 'sae-copy' });
    expect(!taken.ok && taken.error.field).toBe('name');
  });

  it('evaluates the SAE spliced into the model and stores the figures with it', async () => {
    const saeId = (await callOrThrow(host, 'catalog.saes', {})).find((s) => s.name === 'sae-a')!.id;
    const r = await runJob(host, 'sae.evaluate', { saeId, corpus: { kind: 'txt', path: corpus }, contextLength: 32, windows: 16 });
    const m = r.metrics;
    // (A random-weight fixture model need not get worse under zero-ablation; the unit tests check the
    // score's meaning on a model where it does. Here: the figures are consistent and stored.)
    expect(Number.isFinite(m.ce_loss_clean) && Number.isFinite(m.kl_div_score)).toBe(true);
    // The score is (CE_zero − CE_sae) / (CE_zero − CE_clean): check it is that ratio of the reported losses.
    expect(m.ce_loss_score).toBeCloseTo((m.ce_loss_zero_ablation! - m.ce_loss_with_sae!) / (m.ce_loss_zero_ablation! - m.ce_loss_clean!), 6);
    expect(m.eval_tokens).toBe(16 * 32);
    expect(r.densityHistogram.counts.reduce((a, b) => a + b, 0) + r.densityHistogram.dead).toBe(64);
    const stored = (await callOrThrow(host, 'catalog.saes', {})).find((s) => s.id === saeId)!.metrics;
    expect(stored.ce_loss_score).toBe(m.ce_loss_score);
    // The same windows as the evaluation at the end of training: the same figures.
    expect(m.ce_loss_score).toBeCloseTo(endOfTraining.ce_loss_score!, 9);
    expect(m.kl_div_score).toBeCloseTo(endOfTraining.kl_div_score!, 9);
    expect(stored.l0).toBeDefined(); // the training figures are kept beside the evaluation's
  });

  it('steers and ablates SAE features in a logged, replayable experiment', async () => {
    const saeId = (await callOrThrow(host, 'catalog.saes', {})).find((s) => s.name === 'sae-a')!.id;
    const prompt = 'line 3: the quick brown fox jumps over';
    const run = (interventions: Intervention[]) => callOrThrow(host, 'experiment.run', { model: fixture, prompt, sae: saeId, interventions, probe: { feature: 0 }, generate: { maxNewTokens: 4 } });
    // An empty edit (add 0) goes through encode → decode and keeps the error term: nothing changes.
    const empty = await run([{ hook: HOOK, kind: 'add', target: { saeFeatures: [0] }, value: 0 }]);
    expect(empty.kl).toBeLessThan(1e-8);
    const steered = await run([{ hook: HOOK, kind: 'add', target: { saeFeatures: [0, 1, 2] }, value: 40 }]);
    expect(steered.kl).toBeGreaterThan(1e-3);
    expect(steered.experiment.citeId).toMatch(/^exp-\d{6}$/);
    expect(steered.baseline.probe!.values).toHaveLength(steered.intervened.probe!.values.length);
    // The probe reads the feature after the edit: +40 on it shows at every position (relu/topk permitting).
    expect(Math.max(...steered.intervened.probe!.values)).toBeGreaterThan(Math.max(...steered.baseline.probe!.values));

    const replay = await host.call('experiment.replay', { ref: steered.experiment.citeId });
    expect(replay.ok && replay.value.matches).toBe(true);
    expect(replay).toMatchObject({ ok: true, value: { kind: 'steering', replayOf: steered.experiment.citeId, experiment: { citeId: steered.experiment.citeId } } });
    if (!replay.ok || (replay.value.kind !== 'steering' && replay.value.kind !== 'ablation')) throw new Error('a steering replay was expected');
    expect(replay.value.kl).toBeCloseTo(steered.kl, 6);
    expect(replay.value.note).toMatch(/^Replayed now: KL [\d.e+-]+ nats \(logged [\d.e+-]+\)$/);
    const logged = await host.call('catalog.experiment', { ref: steered.experiment.citeId });
    expect(logged.ok && logged.value.kind).toBe('steering');

    const wrongHook = await host.call('experiment.run', { model: fixture, prompt, sae: saeId, interventions: [{ hook: 'blocks.0.hook_resid_post', kind: 'ablate-zero', target: { saeFeatures: [0] } }] });
    expect(!wrongHook.ok && wrongHook.error.field).toBe('interventions.0.hook');
    const none = await host.call('experiment.run', { model: fixture, prompt, interventions: [] });
    expect(!none.ok && none.error.field).toBe('interventions');
  });

  it('the CLI trains from the same store and prints metrics', async () => {
    const bin = resolve(__dirname, '../../bin/featurescope.js');
    const store = join(home, 'workspaces', 'default', 'activations', 'cap', HOOK);
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'train', '--store', store, '--name', 'sae-cli', '--d-sae', '32', '--k', '2', '--steps', '20', '--batch', '64'], {
      env: { ...process.env, FEATURESCOPE_HOME: home },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/completed at step 20: SAE #\d+/);
    expect(stdout).toMatch(/explained_variance=/);

    const analyzed = await promisify(execFile)(process.execPath, [bin, 'analyze', '--sae', 'sae-cli', '--corpus', corpus, '--max-tokens', '1000'], { env: { ...process.env, FEATURESCOPE_HOME: home }, timeout: 120_000 });
    expect(analyzed.stdout).toMatch(/32 features over 1000 tokens/);
    expect(analyzed.stdout).toMatch(/explanations scored on [1-9]\d* held-out windows \(every 5th, [1-9]\d* tokens/);
    const found = await promisify(execFile)(process.execPath, [bin, 'search', '--sae', 'sae-cli', '--sort', 'density', '--limit', '3', '--json'], { env: { ...process.env, FEATURESCOPE_HOME: home }, timeout: 120_000 });
    const result = JSON.parse(found.stdout) as { total: number; rows: Array<{ density: number }> };
    expect(result.total).toBe(32);
    expect(result.rows.map((r) => r.density)).toEqual([...result.rows.map((r) => r.density)].sort((a, b) => b - a));

    // Explanation scores (issue #18): --sort f1 lists scored features best first, unscored (null) last;
    // `feature` prints the score; --in narrows where --q looks and is checked like any flag.
    const cli = (args: string[]) => promisify(execFile)(process.execPath, [bin, ...args], { env: { ...process.env, FEATURESCOPE_HOME: home }, timeout: 120_000 });
    const byF1 = JSON.parse((await cli(['search', '--sae', 'sae-cli', '--sort', 'f1', '--limit', '32', '--json'])).stdout) as { rows: Array<{ idx: number; explanationF1: number | null }> };
    const f1s = byF1.rows.map((r) => r.explanationF1);
    const scored = f1s.filter((v): v is number => v !== null);
    expect(scored.length).toBeGreaterThan(0);
    expect(f1s.slice(0, scored.length)).toEqual([...scored].sort((a, b) => b - a));
    expect(f1s.slice(scored.length).every((v) => v === null)).toBe(true);
    const page = await cli(['feature', '--sae', 'sae-cli', '--idx', String(byF1.rows[0]!.idx)]);
    expect(page.stdout).toMatch(/explanation score: F1 [01]\.\d\d · precision [\d.—]+ · recall [\d.—]+ · \d+ firings? in [\d,]+ held-out tokens/);
    const listed = await cli(['search', '--sae', 'sae-cli', '--sort', 'f1', '--limit', '1']);
    expect(listed.stdout).toMatch(/F1 [01]\.\d\d {2}/);
    const scopedRun = JSON.parse((await cli(['search', '--sae', 'sae-cli', '--q', 'the', '--in', 'explanations', '--json'])).stdout) as { total: number };
    const allRun = JSON.parse((await cli(['search', '--sae', 'sae-cli', '--q', 'the', '--json'])).stdout) as { total: number };
    expect(scopedRun.total).toBeLessThanOrEqual(allRun.total);
    await expect(cli(['search', '--sae', 'sae-cli', '--q', 'the', '--in', 'examples'])).rejects.toMatchObject({ stderr: expect.stringMatching(/--in/) });
  });
});
