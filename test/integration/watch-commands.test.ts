// Watchlists and scans through a real host and engine process (the built engine) and the real CLI:
// an SAE imported for the GPT-2 fixture and analysed, a watchlist with a default threshold taken
// from that analysis, a corpus scan that sees the same maximum the analysis saw, the logged scan
// replayed, the report written where asked; then the same through `featurescope watchlist|scan`.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { saveSaeLens } from '../../src/engine/sae/io/saelens';
import { createSae } from '../../src/engine/sae/registry';
import { runJob } from '../../src/host/run-job';
import { callOrThrow } from '../../src/shared/call';
import type { Watchlist } from '../../src/shared/contract';
import { seededFloats } from '../unit/sae/helpers/backend';
import { startTestHost } from './helpers';

const fixture = resolve(__dirname, '../fixtures/models/gpt2');
const HOOK = 'blocks.0.hook_resid_post';
const bin = resolve(__dirname, '../../bin/featurescope.js');

describe('watchlists and scans in the engine process and the CLI', () => {
  let t: Awaited<ReturnType<typeof startTestHost>>;
  let work: string;
  let corpus: string;
  let saeId: number;

  beforeAll(async () => {
    t = await startTestHost();
    work = mkdtempSync(join(tmpdir(), 'featurescope-watch-'));
    corpus = join(work, 'corpus.txt');
    writeFileSync(corpus, Array.from({ length: 120 }, (_, i) => `the cat sat on the mat ${i % 5 === 0 ? 'and the dog ran' : 'by the tree'} ${(i * 37) % 101}.`).join('\n'));
    // A standard SAE at the fixture's first residual stream; model_name points at the fixture so scans find their model.
    await initBackend({ prefer: 'wasm', threads: 1 });
    const dIn = 32;
    const dSae = 16;
    const sae = createSae(
      { architecture: 'standard', d_in: dIn, d_sae: dSae, apply_b_dec_to_input: false, normalize_activations: 'none', dtype: 'float32', metadata: { hook_name: HOOK, model_name: fixture } },
      { W_enc: tf.tensor2d(seededFloats(dIn * dSae, 3), [dIn, dSae]), W_dec: tf.tensor2d(seededFloats(dSae * dIn, 4), [dSae, dIn]), b_enc: tf.zeros([dSae]) as tf.Tensor1D, b_dec: tf.zeros([dIn]) as tf.Tensor1D },
    );
    saveSaeLens(join(work, 'sae'), sae);
    sae.dispose();
    ({ saeId } = await callOrThrow(t.host, 'sae.import', { path: join(work, 'sae'), name: 'watch-sae' }));
    await runJob(t.host, 'sae.analyze', { saeId, corpus: { kind: 'txt', path: corpus }, maxTokens: 1500 });
  }, 180_000);
  afterAll(async () => {
    await t?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('saves a watchlist with a default threshold, scans a corpus, logs, reports and replays', async () => {
    const maxAct = (await callOrThrow(t.host, 'catalog.feature', { saeId, idx: 0 })).feature.maxAct;
    expect(maxAct).toBeGreaterThan(0);

    const saved = await callOrThrow(t.host, 'watchlist.save', { name: 'animals', entries: [{ saeId, idx: 0 }, { saeId, idx: 3, threshold: 1e6, label: 'never' }] });
    expect(saved.entries.map((e) => [e.idx, e.threshold])).toEqual([
      [0, 0.5 * maxAct],
      [3, 1e6],
    ]);
    const refused = await t.host.call('watchlist.save', { name: 'bad', entries: [{ saeId, idx: 16 }] });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'entries.0.idx' } });

    // A report path that cannot be written is refused before the scan (or an audit) runs, and nothing is logged.
    const logSize = async () => (await callOrThrow(t.host, 'catalog.experiments', { limit: 500 })).length;
    const loggedBefore = await logSize();
    const missing = join(work, 'missing', 'r.html');
    await expect(runJob(t.host, 'scan.run', { sae: saeId, watchlist: 'animals', source: { kind: 'prompts', prompts: ['a dog'] }, outPath: missing })).rejects.toThrow(/outPath: folder .*missing does not exist/);
    await expect(runJob(t.host, 'audit.run', { model: fixture, contrastSet: 'gendered', outPath: missing })).rejects.toThrow(/outPath: folder .*missing does not exist/);
    await expect(runJob(t.host, 'scan.run', { sae: saeId, watchlist: 'animals', source: { kind: 'prompts', prompts: ['a dog'] }, outPath: join(work, 'r.txt') })).rejects.toThrow(/must end in \.html/);
    expect(await logSize()).toBe(loggedBefore);

    const units: string[] = [];
    const outPath = join(work, 'scan.html');
    const r = await runJob(t.host, 'scan.run', { sae: saeId, watchlist: 'animals', source: { kind: 'txt', path: corpus }, maxTokens: 1500, topPerFeature: 5, outPath }, (p) => units.push(p.unit));
    expect(units).toContain('tokens');
    expect(r.tokens).toBe(1500);
    const [f0, f3] = r.features;
    // Same windows and tokens as the analysis: the same maximum, so the max-activating context is flagged.
    expect(Math.abs(f0!.maxAct - maxAct)).toBeLessThan(1e-4 * maxAct);
    expect(f0!.flagged).toBeGreaterThan(0);
    expect(f0!.top[0]!.peak).toBeCloseTo(f0!.maxAct, 4);
    expect(f0!.top.length).toBeLessThanOrEqual(5);
    expect(f3).toMatchObject({ idx: 3, flagged: 0, top: [], label: 'never' });

    const html = readFileSync(outPath, 'utf8');
    expect(r.exportedTo).toBe(outPath);
    expect(html).toBe(readFileSync(r.reportPath, 'utf8'));
    expect(html).toContain(r.experiment.citeId);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|https?:\/\//);

    const logged = await t.host.call('catalog.experiment', { ref: r.experiment.citeId });
    expect(logged).toMatchObject({ ok: true, value: { kind: 'scan', saeId } });
    const replay = await callOrThrow(t.host, 'scan.replay', { ref: r.experiment.citeId });
    expect(replay).toMatchObject({ replayOf: r.experiment.citeId, idx: 0, rank: 0, matches: true });
    expect(replay.value).toBeCloseTo(f0!.top[0]!.peak, 4);
    const any = await callOrThrow(t.host, 'experiment.replay', { ref: r.experiment.citeId, idx: 0, rank: 0 });
    expect(any).toMatchObject({ kind: 'scan', replayOf: r.experiment.citeId, idx: 0, rank: 0, matches: true });
    expect(any.note).toMatch(/^Replayed feature 0's top flagged context now: peak/);

    await expect(runJob(t.host, 'scan.run', { sae: saeId, watchlist: 'no-such-list', source: { kind: 'prompts', prompts: ['a cat'] } })).rejects.toThrow(/no watchlist "no-such-list" \(known: animals\)/);
  }, 120_000);

  it('featurescope watchlist add and featurescope scan --prompts', async () => {
    const env = { ...process.env, FEATURESCOPE_HOME: t.home };
    const run = (args: string[]) => promisify(execFile)(process.execPath, [bin, ...args], { env, timeout: 120_000 });
    const added = await run(['watchlist', 'add', '--name', 'animals', '--sae', 'watch-sae', '--feature', '5:0.05']);
    expect(added.stdout).toMatch(/animals \(#\d+\): 3 features/);
    const prompts = join(work, 'prompts.txt');
    writeFileSync(prompts, 'the dog ran by the tree\n\nthe cat sat on the mat\n');
    const out = join(work, 'cli-scan.html');
    const scanned = await run(['scan', '--sae', 'watch-sae', '--watchlist', 'animals', '--prompts', prompts, '--out', out]);
    expect(scanned.stdout).toMatch(/^exp-\d{6,}  animals: \d+ tokens in 2 prompts/);
    expect(scanned.stdout).toMatch(/#5 +\d+ flagged/);
    expect(scanned.stderr).toMatch(/tokens\/s/);
    expect(existsSync(out)).toBe(true);
    // A bad .jsonl line is named by its line in the file, blank lines counted.
    const badPrompts = join(work, 'prompts.jsonl');
    writeFileSync(badPrompts, '{"text": "a dog"}\n\n{"txt": "no text"}\n');
    const bad = await run(['scan', '--sae', 'watch-sae', '--watchlist', 'animals', '--prompts', badPrompts]).catch((err: { stderr: string }) => err);
    expect(bad.stderr).toContain(`${badPrompts}:3: needs a non-empty "text" field`);
    // A prompt scan's log keeps the prompts, not their ids: replay encodes the prompt again.
    const cite = /^(exp-\d+)/.exec(scanned.stdout)![1]!;
    const replayed = await run(['scan', '--replay', cite]);
    expect(replayed.stdout).toMatch(new RegExp(`^${cite} feature \\d+ rank 0: matches the log`));

    // add leaves a feature already there as it is; a new list under a taken name is refused; CLI save replaces.
    const again = await run(['watchlist', 'add', '--name', 'animals', '--sae', 'watch-sae', '--feature', '5:0.9', '--json']);
    expect((JSON.parse(again.stdout) as Watchlist).entries.find((e) => e.idx === 5)!.threshold).toBe(0.05);
    expect(again.stderr).toContain('Feature 5 of SAE');
    expect(await t.host.call('watchlist.save', { name: 'ANIMALS', entries: [] })).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'name', message: expect.stringContaining('already a watchlist called "animals"') } });
    const replaced = await run(['watchlist', 'save', '--name', 'ANIMALS', '--sae', 'watch-sae', '--feature', '1:0.5']);
    expect(replaced.stdout).toMatch(/^ANIMALS \(#\d+\): 1 features/);
  }, 120_000);
});
